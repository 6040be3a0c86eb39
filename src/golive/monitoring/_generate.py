"""``golive init monitoring``: Prometheus, Alertmanager, rules, their tests and dashboards.

Everything is derived from the spec (service name, objectives) and what the service really
exposes on ``/metrics``: an alert or panel is only written for a metric that exists, so the
``grafana.dashboards`` and ``prometheus.rules`` checks pass on what this module writes.

Alerting follows the Google SRE workbook: the availability SLO gets multi-window,
multi-burn-rate alerts (14.4x over 1h/5m and 6x over 6h/30m page; 3x over 1d/2h and 1x over
3d/6h open a ticket), without ``for:`` because the short window already resets them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from golive.monitoring._inventory import Inventory, MetricInfo
from golive.monitoring._rules import slugify
from golive.monitoring._yaml import dump_yaml
from golive.monitoring.base import SEVERITY_LABEL_VALUES, Severity

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
#: (severity, long window, short window, burn-rate factor) from the SRE workbook, table 5-8.
BURN_ALERTS = (
    (Severity.P0, "1h", "5m", 14.4),
    (Severity.P0, "6h", "30m", 6.0),
    (Severity.P1, "1d", "2h", 3.0),
    (Severity.P1, "3d", "6h", 1.0),
)
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


@dataclass(frozen=True, kw_only=True)
class RuleTest:
    """Input series and the expected result of one promtool test case."""

    series: Mapping[str, str]
    eval_time: str
    labels: Mapping[str, str]
    fires: bool = True


@dataclass(frozen=True, kw_only=True)
class AlertSpec:
    """An alert the generator writes, with its playbook text and tests."""

    name: str
    severity: Severity
    expr: str
    for_: str
    summary: str
    description: str
    steps: tuple[str, ...]
    tests: tuple[RuleTest, ...]


@dataclass(frozen=True, kw_only=True)
class Generated:
    """The files to write (paths relative to the output directory) and notes for the user."""

    files: Mapping[str, str]
    notes: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()


@dataclass(kw_only=True)
class _Model:
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
        return round(1 - self.settings.availability / 100, 10)

    @property
    def sel(self) -> str:
        parts = [f'job="{self.job}"']
        if self.requests is not None and "route" in self.requests.labels:
            parts.append(f'route!~"{_EXCLUDED_ROUTES}"')
        return ",".join(parts)

    @property
    def err_sel(self) -> str:
        return f'{self.sel},{self.status_label}=~"5.."'

    def example_labels(self, metric: MetricInfo, **extra: str) -> str:
        labels = {"job": self.job, "instance": self.settings.target}
        if "route" in metric.labels:
            labels["route"] = "/products"
        if "method" in metric.labels:
            labels["method"] = "GET"
        labels.update(extra)
        inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
        return f"{metric.sample_name}{{{inner}}}"


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", name) if p)


def _metric_prefix(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def build_model(settings: Settings, inventory: Inventory) -> _Model:
    """Decide which metrics play which role."""
    model = _Model(
        settings=settings,
        inventory=inventory,
        job=settings.service,
        prefix=_metric_prefix(settings.service),
        alert_prefix=_camel(settings.service),
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


# ----------------------------------------------------------------------------------- alerts


def _ratio(model: _Model, window: str) -> str:
    metric = model.requests.sample_name if model.requests else "http_requests_total"
    return (
        f"(sum by (job) (rate({metric}{{{model.err_sel}}}[{window}]))\n"
        f"  or sum by (job) (rate({metric}{{{model.sel}}}[{window}])) * 0)\n"
        f"/\n"
        f"sum by (job) (rate({metric}{{{model.sel}}}[{window}]))"
    )


def _ratio_record(window: str) -> str:
    return f"job:slo_errors_per_request:ratio_rate{window}"


def _error_series(model: _Model, ratio: float, steps: int) -> dict[str, str]:
    """Traffic whose error ratio is ``ratio`` (rounded up), 1000 good requests a minute."""
    ratio = min(ratio, 0.95)
    per_min_err = max(1, math.ceil(1000 * ratio / (1 - ratio)))
    return _traffic_series(model, 1000, per_min_err, steps)


def _traffic_series(model: _Model, per_min_ok: int, per_min_err: int, steps: int) -> dict[str, str]:
    assert model.requests is not None
    ok = model.example_labels(model.requests, **{model.status_label: "200"})
    err = model.example_labels(model.requests, **{model.status_label: "500"})
    return {ok: f"0+{per_min_ok}x{steps}", err: f"0+{per_min_err}x{steps}"}


def _latency_series(
    model: _Model, slow: bool, steps: int, threshold_ms: float
) -> dict[str, str]:
    assert model.duration is not None
    threshold = threshold_ms / 1000
    buckets = list(model.duration.buckets)
    if slow:
        # Put every request in the first bucket whose lower bound is above the threshold,
        # so that any quantile lands above it.
        slow_le = next(
            (b for i, b in enumerate(buckets) if i > 0 and buckets[i - 1] >= threshold),
            buckets[-1],
        )
    else:
        slow_le = buckets[0]
    series = {}
    for le in buckets:
        le_text = "+Inf" if le == float("inf") else f"{le:g}"
        name = model.example_labels(model.duration, le=le_text).replace(
            model.duration.name + "{", model.duration.name + "_bucket{", 1
        )
        series[name] = f"0+10x{steps}" if le >= slow_le else f"0x{steps}"
    return series


def alert_specs(model: _Model) -> list[AlertSpec]:
    """Every alert that fits the service's metrics."""
    s = model.settings
    svc, job, a = s.service, model.job, model.alert_prefix
    alerts: list[AlertSpec] = []
    up = f'up{{job="{job}"}}'
    alerts.append(
        AlertSpec(
            name=f"{a}Down",
            severity=Severity.P0,
            expr=f"sum by (job) ({up}) == 0\nor\nabsent({up})",
            for_="1m",
            summary=f"{svc} is down: Prometheus cannot scrape any instance",
            description=f"No {svc} instance has answered a scrape for a minute, or the job "
            "disappeared from Prometheus.",
            steps=(
                f"Check the scrape targets: `up{{job=\"{job}\"}}` and Prometheus' Targets page.",
                f"Check the {svc} processes/pods and their logs; restart or roll back.",
                "If only the scrape is broken (network, TLS), the service may still be serving: "
                "confirm with the health endpoint before paging further.",
            ),
            tests=(
                RuleTest(
                    series={f'up{{job="{job}",instance="{s.target}"}}': "0x10"},
                    eval_time="5m",
                    labels={"job": job},
                ),
                RuleTest(series={'up{job="other",instance="x:1"}': "1x10"}, eval_time="5m",
                         labels={"job": job}),
                RuleTest(
                    series={f'up{{job="{job}",instance="{s.target}"}}': "1x10"},
                    eval_time="5m",
                    labels={},
                    fires=False,
                ),
            ),
        )
    )
    alerts.append(
        AlertSpec(
            name=f"{a}InstanceDown",
            severity=Severity.P1,
            expr=f"{up} == 0",
            for_="5m",
            summary=f"A {svc} instance has been unreachable for 5 minutes",
            description="One scrape target is down; the others may be carrying its traffic.",
            steps=(
                "Find the instance in `up == 0` and check its process and logs.",
                "Replace or restart the instance; check capacity of the remaining ones.",
            ),
            tests=(
                RuleTest(
                    series={f'up{{job="{job}",instance="{s.target}"}}': "0x20"},
                    eval_time="10m",
                    labels={"job": job, "instance": s.target},
                ),
            ),
        )
    )
    if model.requests is not None:
        budget = model.budget
        for severity in (Severity.P0, Severity.P1):
            pairs = [(lw, sw, f) for sev, lw, sw, f in BURN_ALERTS if sev is severity]
            expr = "\nor\n".join(
                f"(\n  {_ratio_record(lw)}{{job=\"{job}\"}} > ({f:g} * {budget:g})\n  and\n"
                f"  {_ratio_record(sw)}{{job=\"{job}\"}} > ({f:g} * {budget:g})\n)"
                for lw, sw, f in pairs
            )
            fast = severity is Severity.P0
            name = f"{a}ErrorBudget{'Fast' if fast else 'Slow'}Burn"
            if fast:
                tests: tuple[RuleTest, ...] = (
                    RuleTest(series=_error_series(model, 20 * budget, 120), eval_time="70m",
                             labels={"job": job}),
                    RuleTest(series=_traffic_series(model, 600, 0, 120), eval_time="70m",
                             labels={}, fires=False),
                )
            else:
                tests = (
                    RuleTest(series=_error_series(model, 4 * budget, 140), eval_time="130m",
                             labels={"job": job}),
                )
            alerts.append(
                AlertSpec(
                    name=name,
                    severity=severity,
                    expr=expr,
                    for_="0s",
                    summary=(
                        f"{svc} is burning its {s.availability:g}% availability error budget "
                        + ("fast: at this rate it is gone within days" if fast
                           else "steadily: the monthly budget will run out")
                    ),
                    description=(
                        f"Error ratio of {svc} over "
                        + " and ".join(f"{lw}/{sw}" for lw, sw, _ in pairs)
                        + " is above "
                        + " / ".join(f"{f:g}x" for _, _, f in pairs)
                        + f" the budget ({budget:g})."
                    ),
                    steps=(
                        "Open the SLO dashboard: which routes return 5xx "
                        f"(`sum by (route) (rate(http_requests_total{{job=\"{job}\","
                        f"{model.status_label}=~\"5..\"}}[5m]))`)?",
                        "Was there a deploy in the last hour? Roll back first, investigate after.",
                        "Check dependencies (database, event transport) on the readiness probe.",
                    ),
                    tests=tests,
                )
            )
        alerts.append(
            AlertSpec(
                name=f"{a}HighErrorRatio",
                severity=Severity.P1,
                expr=f"{_ratio_record('5m')}{{job=\"{job}\"}} > {s.error_rate / 100:g}",
                for_="5m",
                summary=f"More than {s.error_rate:g}% of {svc} requests fail",
                description=f"The 5-minute error ratio of {svc} is above the {s.error_rate:g}% "
                "objective.",
                steps=(
                    "Look at the 5xx panel of the RED dashboard for the failing routes.",
                    "Read the service logs for those routes; check recent deploys.",
                ),
                tests=(
                    RuleTest(
                        series=_error_series(model, 2 * s.error_rate / 100, 120),
                        eval_time="70m",
                        labels={"job": job},
                    ),
                ),
            )
        )
    if model.duration is not None:
        bucket = f"{model.duration.name}_bucket{{{model.sel}}}"
        for q, objective, severity in (
            (0.95, s.latency_p95_ms, Severity.P1),
            (0.99, s.latency_p99_ms, Severity.P2),
        ):
            if objective is None:
                continue
            pct = int(q * 100)
            alerts.append(
                AlertSpec(
                    name=f"{a}LatencyP{pct}High",
                    severity=severity,
                    expr=f"histogram_quantile({q:g}, sum by (job, le) (rate({bucket}[5m])))\n"
                    f"> {objective / 1000:g}",
                    for_="10m" if severity is Severity.P1 else "15m",
                    summary=f"{svc} p{pct} latency is above its {objective:g}ms objective",
                    description=f"The {pct}th percentile of request latency over 5 minutes "
                    f"exceeds {objective:g}ms.",
                    steps=(
                        "Which routes are slow? See the latency panel of the RED dashboard.",
                        "Check saturation: database pool, CPU, in-flight requests (USE "
                        "dashboard).",
                    ),
                    tests=(
                        RuleTest(series=_latency_series(model, True, 60, objective), eval_time="30m",
                                 labels={"job": job}),
                        RuleTest(series=_latency_series(model, False, 60, objective), eval_time="30m",
                                 labels={}, fires=False),
                    ),
                )
            )
    inv = model.inventory
    for info in inv.metrics.values():
        if info.kind != "gauge" or not info.name.endswith("_lag_seconds"):
            continue
        what = info.name.removeprefix(model.prefix + "_").removesuffix("_lag_seconds")
        alerts.append(
            AlertSpec(
                name=f"{a}{_camel(what)}LagHigh",
                severity=Severity.P1,
                expr=f'max by (job) ({info.name}{{job="{job}"}}) > 300',
                for_="10m",
                summary=f"{svc} {what.replace('_', ' ')} is more than 5 minutes behind",
                description=f"{info.name} has been above 300s for 10 minutes: work is queuing "
                "up instead of being delivered.",
                steps=(
                    f"Graph `{info.name}` and the matching pending/failure counters.",
                    "Check the downstream transport/consumer and the dispatcher's logs.",
                ),
                tests=(
                    RuleTest(
                        series={f'{info.name}{{job="{job}",instance="{s.target}"}}': "600x30"},
                        eval_time="20m",
                        labels={"job": job},
                    ),
                ),
            )
        )
    pool_out = next((m for m in inv.metrics if m.endswith("_pool_checked_out")), None)
    pool_size = pool_out.replace("_checked_out", "_size") if pool_out else None
    if pool_out and pool_size and pool_size in inv.metrics:
        alerts.append(
            AlertSpec(
                name=f"{a}DbPoolSaturated",
                severity=Severity.P1,
                expr=f'sum by (job) ({pool_out}{{job="{job}"}})\n/\n'
                f'sum by (job) ({pool_size}{{job="{job}"}}) > 0.9',
                for_="10m",
                summary=f"{svc} uses more than 90% of its database connection pool",
                description="Requests will soon wait for connections and time out.",
                steps=(
                    "Look for slow queries or leaked sessions; check database load.",
                    "Raise the pool size only if the database has headroom.",
                ),
                tests=(
                    RuleTest(
                        series={
                            f'{pool_out}{{job="{job}",instance="{s.target}"}}': "10x30",
                            f'{pool_size}{{job="{job}",instance="{s.target}"}}': "10x30",
                        },
                        eval_time="20m",
                        labels={"job": job},
                    ),
                ),
            )
        )
    if inv.has("process_open_fds") and inv.has("process_max_fds"):
        alerts.append(
            AlertSpec(
                name=f"{a}FileDescriptorsExhausting",
                severity=Severity.P2,
                expr=f'max by (job) (process_open_fds{{job="{job}"}} / '
                f'process_max_fds{{job="{job}"}}) > 0.8',
                for_="15m",
                summary=f"{svc} uses more than 80% of its file descriptors",
                description="Running out of descriptors makes new connections fail.",
                steps=("Check for connection leaks; raise the limit if the load is real.",),
                tests=(
                    RuleTest(
                        series={
                            f'process_open_fds{{job="{job}",instance="{s.target}"}}': "900x40",
                            f'process_max_fds{{job="{job}",instance="{s.target}"}}': "1000x40",
                        },
                        eval_time="30m",
                        labels={"job": job},
                    ),
                ),
            )
        )
    return alerts


def _annotations(model: _Model, alert: AlertSpec) -> dict[str, str]:
    return {
        "summary": alert.summary,
        "description": alert.description,
        "runbook_url": f"{model.settings.runbook_url}#{slugify(alert.name)}",
    }


def rules_file(model: _Model, alerts: list[AlertSpec]) -> dict[str, Any]:
    """The rule file: SLO recording rules, then alerts grouped by kind."""
    groups: list[dict[str, Any]] = []
    if model.requests is not None:
        groups.append(
            {
                "name": f"{model.job}.slo.rules",
                "rules": [
                    {"record": _ratio_record(w), "expr": _ratio(model, w)} for w in WINDOWS
                ],
            }
        )
    rules = []
    for alert in alerts:
        rule: dict[str, Any] = {"alert": alert.name, "expr": alert.expr}
        if alert.for_ != "0s":
            rule["for"] = alert.for_
        rule["labels"] = {"severity": SEVERITY_LABEL_VALUES[alert.severity]}
        rule["annotations"] = _annotations(model, alert)
        rules.append(rule)
    groups.append({"name": f"{model.job}.alerts", "rules": rules})
    return {"groups": groups}


def rules_tests(model: _Model, alerts: list[AlertSpec], rule_file: str) -> dict[str, Any]:
    """promtool unit tests: every alert fires on its fault, P0s also stay quiet when healthy."""
    tests = []
    for alert in alerts:
        for case in alert.tests:
            expected = []
            if case.fires:
                expected.append(
                    {
                        "exp_labels": {
                            "severity": SEVERITY_LABEL_VALUES[alert.severity],
                            **case.labels,
                        },
                        "exp_annotations": _annotations(model, alert),
                    }
                )
            tests.append(
                {
                    "name": f"{alert.name} {'fires' if case.fires else 'stays quiet'}",
                    "interval": "1m",
                    "input_series": [
                        {"series": name, "values": values} for name, values in case.series.items()
                    ],
                    "alert_rule_test": [
                        {"eval_time": case.eval_time, "alertname": alert.name,
                         "exp_alerts": expected}
                    ],
                }
            )
    return {"rule_files": [rule_file], "evaluation_interval": "1m", "tests": tests}


# ----------------------------------------------------------------------- prometheus/alertmanager


def prometheus_config(model: _Model, rule_glob: str) -> dict[str, Any]:
    """prometheus.yml: the service, Prometheus and Alertmanager themselves, golive readiness."""
    s = model.settings
    jobs: list[dict[str, Any]] = [
        {
            "job_name": model.job,
            "metrics_path": s.metrics_path,
            "static_configs": [{"targets": [s.target]}],
        },
        {"job_name": "prometheus", "static_configs": [{"targets": [s.prometheus_address]}]},
        {"job_name": "alertmanager", "static_configs": [{"targets": [s.alertmanager_address]}]},
    ]
    if s.readiness_address:
        jobs.append(
            {
                "job_name": "golive",
                "scrape_interval": "1m",
                "honor_labels": True,
                "static_configs": [{"targets": [s.readiness_address]}],
            }
        )
    return {
        "global": {"scrape_interval": s.scrape_interval, "evaluation_interval": s.scrape_interval},
        "rule_files": [rule_glob],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [s.alertmanager_address]}]}]},
        "scrape_configs": jobs,
    }


def alertmanager_config(model: _Model) -> dict[str, Any]:
    """alertmanager.yml: P0 pages, P1 opens a ticket, P2 goes to a low-noise channel."""
    hook = model.settings.webhook_url.rstrip("/")

    def receiver(name: str) -> dict[str, Any]:
        return {"name": name, "webhook_configs": [{"url": f"{hook}/{name}", "send_resolved": True}]}

    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "ticket",
            "group_by": ["alertname", "job"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "matchers": [f'severity="{SEVERITY_LABEL_VALUES[Severity.P0]}"'],
                    "receiver": "page",
                    "group_wait": "10s",
                    "repeat_interval": "1h",
                },
                {"matchers": [f'severity="{SEVERITY_LABEL_VALUES[Severity.P1]}"'],
                 "receiver": "ticket"},
                {
                    "matchers": [f'severity="{SEVERITY_LABEL_VALUES[Severity.P2]}"'],
                    "receiver": "info",
                    "repeat_interval": "24h",
                },
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": [f'severity="{SEVERITY_LABEL_VALUES[Severity.P0]}"'],
                "target_matchers": ['severity=~"warning|info"'],
                "equal": ["job"],
            }
        ],
        "receivers": [receiver("page"), receiver("ticket"), receiver("info")],
    }


def runbook(model: _Model, alerts: list[AlertSpec]) -> str:
    """The alert playbook every ``runbook_url`` points into (one heading per alert)."""
    s = model.settings
    lines = [
        f"# {s.service} alert playbook",
        "",
        "Generated by `golive init monitoring`; edit freely (golive will not overwrite your "
        "changes). Every alert's `runbook_url` points at its heading here.",
        "",
        "| Severity | Meaning | Route |",
        "| --- | --- | --- |",
        "| P0 (`critical`) | users are affected now | pages on-call (`page`) |",
        "| P1 (`warning`) | will affect users if left alone | ticket, business hours |",
        "| P2 (`info`) | worth a look | low-noise channel |",
        "",
    ]
    for alert in alerts:
        lines += [
            f"## {alert.name}",
            "",
            f"**Severity:** {alert.severity.value} (`{SEVERITY_LABEL_VALUES[alert.severity]}`)",
            "",
            alert.summary + ". " + alert.description,
            "",
            "```promql",
            alert.expr,
            "```",
            "",
            *[f"{i}. {step}" for i, step in enumerate(alert.steps, 1)],
            "",
        ]
    return "\n".join(lines)


# -------------------------------------------------------------------------------- generate


def generate(settings: Settings, inventory: Inventory) -> Generated:
    """All monitoring files for a service, as text keyed by relative path."""
    from golive.monitoring._grafana import dashboards

    model = build_model(settings, inventory)
    alerts = alert_specs(model)
    rule_name = f"{model.job}.rules.yml"
    files: dict[str, str] = {
        "prometheus.yml": _header("Prometheus configuration")
        + dump_yaml(prometheus_config(model, "rules/*.rules.yml")),
        f"rules/{rule_name}": _header("Alerting and SLO recording rules")
        + dump_yaml(rules_file(model, alerts)),
        f"rules/{model.job}.rules.test.yml": _header(
            "Unit tests: promtool test rules rules/" + f"{model.job}.rules.test.yml"
        )
        + dump_yaml(rules_tests(model, alerts, rule_name)),
        "alertmanager.yml": _header(
            "Alertmanager routing. Replace the webhook receivers with your pager/ticket "
            "integrations (pagerduty_configs, slack_configs, ...); keep one per severity"
        )
        + dump_yaml(alertmanager_config(model)),
        "runbook.md": runbook(model, alerts),
    }
    for name, board in dashboards(model).items():
        files[f"dashboards/{name}.json"] = json.dumps(board, indent=2) + "\n"
    return Generated(files=files, notes=tuple(model.notes), alerts=tuple(a.name for a in alerts))


def _header(title: str) -> str:
    return f"# {title}.\n# Generated by `golive init monitoring`; edits are kept on re-runs.\n"
