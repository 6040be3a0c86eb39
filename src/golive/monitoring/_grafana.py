"""Grafana dashboards for ``golive init monitoring``, built with grafana-foundation-sdk.

Every panel queries through the ``datasource`` variable, and every query is written so that
it returns a series even when nothing bad is happening (``... or ... * 0``): an empty panel
means a metric is missing, which is what the ``grafana.dashboards`` check looks for.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from golive.monitoring._model import Model, pool_metrics, ratio_record

_DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
_RATE = "$__rate_interval"


class _Board:
    """A dashboard under construction; numbers panels so their ids are unique."""

    def __init__(self, uid: str, title: str, tags: list[str], description: str) -> None:
        self._builder = (
            dashboard.Dashboard(title)
            .uid(uid)
            .description(description)
            .tags(["golive", *tags])
            .refresh("30s")
            .time("now-6h", "now")
            .timezone("browser")
            .with_variable(dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus"))
        )
        self._next_id = 1

    def panel(
        self,
        kind: str,
        title: str,
        queries: list[tuple[str, str]],
        *,
        unit: str = "",
        description: str = "",
        width: int = 12,
    ) -> None:
        """Add a timeseries or stat panel with ``(expr, legend)`` queries."""
        builder: Any = timeseries.Panel() if kind == "timeseries" else stat.Panel()
        builder = builder.id(self._next_id).title(title).datasource(_DS).span(width).height(8)
        if unit:
            builder = builder.unit(unit)
        if description:
            builder = builder.description(description)
        for index, (expr, legend) in enumerate(queries):
            query = prometheus.Dataquery().expr(expr).ref_id(chr(ord("A") + index))
            if legend:
                query = query.legend_format(legend)
            builder = builder.with_target(query)
        self._builder = self._builder.with_panel(builder)
        self._next_id += 1

    def build(self) -> dict[str, Any]:
        """The dashboard as plain JSON data."""
        data: dict[str, Any] = json.loads(json.dumps(self._builder.build(), cls=JSONEncoder))
        data.setdefault("panels", [])
        return data


def _zero_default(expr_err: str, expr_all: str) -> str:
    return f"({expr_err}) or ({expr_all} * 0)"


def _red(model: Model) -> _Board:
    """Rate, errors and duration of requests."""
    job = model.job
    red = _Board(
        f"{job}-red", f"{model.settings.service} / RED", ["red"], "Rate, errors and duration of requests."
    )
    req = model.requests.sample_name if model.requests else None
    by = "route" if model.requests is not None and "route" in model.requests.labels else "job"
    if req:
        red.panel(
            "timeseries",
            "Request rate",
            [(f"sum by ({by}) (rate({req}{{{model.sel}}}[{_RATE}]))", f"{{{{{by}}}}}")],
            unit="reqps",
        )
        red.panel(
            "timeseries",
            "Errors (5xx) per second",
            [
                (
                    _zero_default(
                        f"sum by ({by}) (rate({req}{{{model.err_sel}}}[{_RATE}]))",
                        f"sum by ({by}) (rate({req}{{{model.sel}}}[{_RATE}]))",
                    ),
                    f"{{{{{by}}}}}",
                )
            ],
            unit="reqps",
        )
        red.panel(
            "timeseries",
            "Error ratio (5m)",
            [(f'{ratio_record("5m")}{{job="{job}"}}', "error ratio")],
            unit="percentunit",
        )
    if model.duration is not None:
        bucket = f"{model.duration.name}_bucket{{{model.sel}}}"
        red.panel(
            "timeseries",
            "Latency p50 / p95 / p99",
            [
                (f"histogram_quantile({q}, sum by (le) (rate({bucket}[{_RATE}])))", f"p{p}")
                for q, p in (("0.5", 50), ("0.95", 95), ("0.99", 99))
            ],
            unit="s",
        )
    if model.inventory.has("http_requests_in_flight"):
        red.panel(
            "timeseries",
            "Requests in flight",
            [(f'sum(http_requests_in_flight{{job="{job}"}})', "in flight")],
        )
    red.panel("stat", "Instances up", [(f'sum(up{{job="{job}"}})', "up")])
    return red


def _slo(model: Model) -> _Board:
    """Availability, error budget and burn rates; latency against its objective."""
    s, job, budget = model.settings, model.job, model.budget
    slo = _Board(
        f"{job}-slo",
        f"{s.service} / SLO and error budget",
        ["slo"],
        f"Availability objective {s.availability:g}% (error budget {budget:g}); burn rates as "
        "in the Google SRE workbook.",
    )
    if model.requests is not None:
        req = model.requests.sample_name
        err_30d = f"sum(increase({req}{{{model.err_sel}}}[30d]))"
        all_30d = f"sum(increase({req}{{{model.sel}}}[30d]))"
        ratio_30d = f"(({err_30d}) or vector(0)) / {all_30d}"
        slo.panel("stat", "Availability (30d)", [(f"1 - {ratio_30d}", "")], unit="percentunit", width=8)
        slo.panel(
            "stat",
            "Error budget remaining (30d)",
            [(f"1 - ({ratio_30d}) / {budget:g}", "")],
            unit="percentunit",
            width=8,
        )
        slo.panel(
            "stat", "Objective", [(f"vector({s.availability / 100:g})", "")], unit="percentunit", width=8
        )
        slo.panel(
            "timeseries",
            "Burn rate",
            [(f'{ratio_record(w)}{{job="{job}"}} / {budget:g}', w) for w in ("5m", "1h", "6h", "1d", "3d")],
            description="1 = spending the budget exactly over 30 days; 14.4 over 1h pages.",
            width=24,
        )
    if model.duration is not None:
        bucket = f"{model.duration.name}_bucket{{{model.sel}}}"
        slo.panel(
            "timeseries",
            "Latency p95 against objective",
            [
                (f"histogram_quantile(0.95, sum by (le) (rate({bucket}[5m])))", "p95"),
                (f"vector({s.latency_p95_ms / 1000:g})", "objective"),
            ],
            unit="s",
            width=24,
        )
    return slo


def _use(model: Model) -> _Board:
    """Utilisation, saturation and errors of the process and its resources."""
    job, inv = model.job, model.inventory
    use = _Board(
        f"{job}-use",
        f"{model.settings.service} / infrastructure (USE)",
        ["use"],
        "Utilisation, saturation and errors of the process and its resources.",
    )
    if inv.has("process_cpu_seconds_total"):
        use.panel(
            "timeseries",
            "CPU (cores)",
            [(f'rate(process_cpu_seconds_total{{job="{job}"}}[{_RATE}])', "{{instance}}")],
        )
    if inv.has("process_resident_memory_bytes"):
        use.panel(
            "timeseries",
            "Resident memory",
            [(f'process_resident_memory_bytes{{job="{job}"}}', "{{instance}}")],
            unit="bytes",
        )
    if inv.has("process_open_fds") and inv.has("process_max_fds"):
        use.panel(
            "timeseries",
            "File descriptors used",
            [(f'process_open_fds{{job="{job}"}} / process_max_fds{{job="{job}"}}', "{{instance}}")],
            unit="percentunit",
        )
    pool = pool_metrics(inv)
    if pool is not None:
        out, size = pool
        use.panel(
            "timeseries",
            "Database pool utilisation",
            [(f'sum({out}{{job="{job}"}}) / sum({size}{{job="{job}"}})', "in use")],
            unit="percentunit",
        )
    for info in inv.metrics.values():
        if info.kind == "gauge" and (info.name.endswith("_lag_seconds") or info.name.endswith("_pending")):
            use.panel(
                "timeseries",
                info.name,
                [(f'max({info.name}{{job="{job}"}})', "")],
                unit="s" if info.name.endswith("_seconds") else "",
            )
    use.panel(
        "timeseries",
        "Scrape duration",
        [(f'scrape_duration_seconds{{job="{job}"}}', "{{instance}}")],
        unit="s",
    )
    return use


def _business(model: Model) -> _Board:
    """The service's own domain counters (``<service>_*_total``)."""
    job = model.job
    business = _Board(
        f"{job}-business",
        f"{model.settings.service} / business",
        ["business"],
        f"Domain counters {model.settings.service} exposes ({model.prefix}_*_total).",
    )
    found = False
    for info in sorted(model.inventory.metrics.values(), key=lambda m: m.name):
        if info.kind != "counter" or not info.name.startswith(model.prefix + "_"):
            continue
        # A labelled counter with no series yet would be an empty panel; drill counters
        # are not business numbers.
        if info.samples == 0 or "faults_injected" in info.name:
            continue
        found = True
        labels = sorted(info.labels - {"job", "instance"})
        group = f" by ({', '.join(labels)})" if labels else ""
        legend = "{{" + labels[0] + "}}" if labels else info.name
        business.panel(
            "timeseries",
            f"{info.name} per minute",
            [(f'sum{group} (rate({info.sample_name}{{job="{job}"}}[{_RATE}])) * 60', legend)],
            width=16,
        )
        business.panel(
            "stat",
            f"{info.name} (range)",
            [(f'sum(increase({info.sample_name}{{job="{job}"}}[$__range]))', "")],
            width=8,
        )
    if not found:
        model.notes.append(f"no {model.prefix}_*_total counters: the business dashboard is empty")
    return business


def _readiness(model: Model) -> _Board:
    """golive's own readiness history for the service (``golive monitoring serve-readiness``)."""
    svc = model.settings.service
    ready = _Board(
        f"{model.job}-golive-readiness",
        f"{svc} / golive readiness",
        ["readiness"],
        "Readiness history from `golive review --format prometheus` (served by "
        "`golive monitoring serve-readiness`).",
    )
    sel = f'service="{svc}"'
    ready.panel(
        "stat",
        "Readiness",
        [(f"golive_readiness_percent{{{sel}}}", "{{environment}}")],
        unit="percent",
        width=8,
    )
    ready.panel("stat", "Decision (1 = GO)", [(f"golive_go{{{sel}}}", "{{environment}}")], width=8)
    ready.panel("stat", "Criteria failing", [(f'sum(golive_criteria{{{sel},status!="pass"}})', "")], width=8)
    ready.panel(
        "timeseries", "Score per tier", [(f"golive_tier_score_percent{{{sel}}}", "{{tier}}")], unit="percent"
    )
    ready.panel(
        "timeseries", "Score per area", [(f"golive_area_score_percent{{{sel}}}", "{{area}}")], unit="percent"
    )
    ready.panel(
        "timeseries",
        "Measurements (drills, latency, recovery)",
        [(f"golive_measurement{{{sel}}}", "{{criterion}} {{name}} ({{unit}})")],
        width=24,
    )
    return ready


def dashboards(model: Model) -> dict[str, dict[str, Any]]:
    """The five dashboards: RED, SLO/error budget, USE, business, golive readiness."""
    job = model.job
    return {
        f"{job}-red": _red(model).build(),
        f"{job}-slo": _slo(model).build(),
        f"{job}-use": _use(model).build(),
        f"{job}-business": _business(model).build(),
        f"{job}-golive-readiness": _readiness(model).build(),
    }
