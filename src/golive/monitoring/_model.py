"""What ``golive init monitoring`` knows about a service: its settings and the roles of its metrics.

:func:`build_model` decides, from what the service really exposes, which metric is the
request counter (and which label carries the status) and which is the latency histogram;
alerts (:mod:`golive.monitoring._alerts`) and dashboards (:mod:`golive.monitoring._grafana`)
are written only for roles that were found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from golive.monitoring._inventory import Inventory, MetricInfo

#: Windows of the SLO error-ratio recording rules (every burn-rate alert window).
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
_EXCLUDED_ROUTES = "/metrics|/healthz|/readyz"
_STATUS_LABELS = ("status", "code", "status_code")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Inputs of the generator."""

    service: str
    target: str
    availability: float = 99.9
    latency_p95_ms: float = 500.0
    latency_p99_ms: float | None = None
    error_rate: float = 1.0
    runbook_url: str = "runbook.md"
    webhook_url: str = "http://127.0.0.1:9095"
    prometheus_address: str = "127.0.0.1:9090"
    alertmanager_address: str = "127.0.0.1:9093"
    readiness_address: str | None = None
    scrape_interval: str = "15s"
    metrics_path: str = "/metrics"
    #: Objectives the spec does not declare, with the value used instead (said in the notes).
    assumed: tuple[str, ...] = ()
    #: Severity label values the service's own alert rules already use (``page``, ``sev1``).
    existing_severities: tuple[str, ...] = ()


@dataclass(kw_only=True)
class Model:
    """The settings plus the metric roles found in the inventory; notes for the user."""

    settings: Settings
    inventory: Inventory
    job: str
    prefix: str
    alert_prefix: str
    requests: MetricInfo | None = None
    status_label: str = "status"
    duration: MetricInfo | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def budget(self) -> float:
        """The error budget as a ratio (99.9% availability: 0.001)."""
        return round(1 - self.settings.availability / 100, 10)

    @property
    def sel(self) -> str:
        """The label selector of the service's real traffic (probes and scrapes excluded)."""
        parts = [f'job="{self.job}"']
        if self.requests is not None and "route" in self.requests.labels:
            parts.append(f'route!~"{_EXCLUDED_ROUTES}"')
        return ",".join(parts)

    @property
    def err_sel(self) -> str:
        """:attr:`sel` narrowed to server errors."""
        return f'{self.sel},{self.status_label}=~"5.."'

    def example_labels(self, metric: MetricInfo, **extra: str) -> str:
        """A series of ``metric`` with plausible labels, for promtool unit tests."""
        labels = {"job": self.job, "instance": self.settings.target}
        if "route" in metric.labels:
            labels["route"] = "/products"
        if "method" in metric.labels:
            labels["method"] = "GET"
        labels.update(extra)
        inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
        return f"{metric.sample_name}{{{inner}}}"


def camel(name: str) -> str:
    """``storefront-api`` → ``StorefrontApi`` (alert names)."""
    return "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", name) if p)


def _metric_prefix(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def ratio_record(window: str) -> str:
    """The recording rule holding the error ratio over ``window``."""
    return f"job:slo_errors_per_request:ratio_rate{window}"


def pool_metrics(inventory: Inventory) -> tuple[str, str] | None:
    """The database pool's (checked out, size) gauges when the service exposes both."""
    out = next((m for m in inventory.metrics if m.endswith("_pool_checked_out")), None)
    if out is None:
        return None
    size = out.replace("_checked_out", "_size")
    return (out, size) if size in inventory.metrics else None


def build_model(settings: Settings, inventory: Inventory) -> Model:
    """Decide which metrics play which role."""
    model = Model(
        settings=settings,
        inventory=inventory,
        job=settings.service,
        prefix=_metric_prefix(settings.service),
        alert_prefix=camel(settings.service),
    )
    model.notes.extend(
        f"golive.yaml declares no {what}: the alerts assume it; declare the service's own objective"
        for what in settings.assumed
    )
    for name in ("http_requests", "http_server_requests", "requests"):
        info = inventory.metrics.get(name)
        if info is not None and info.kind == "counter":
            status = next((s for s in _STATUS_LABELS if s in info.labels), None)
            if status:
                model.requests, model.status_label = info, status
                break
    if model.requests is None:
        model.notes.append(
            "no HTTP request counter with a status label (http_requests_total{status}) was "
            "found: SLO, error-ratio alerts and RED panels were not written"
        )
    for name in ("http_request_duration_seconds", "http_server_request_duration_seconds"):
        info = inventory.metrics.get(name)
        if info is not None and info.kind == "histogram" and info.buckets:
            model.duration = info
            break
    if model.duration is None:
        model.notes.append("no request-duration histogram found: no latency alerts or panels")
    return model
