"""The alerts ``golive init monitoring`` writes, each with its playbook text and promtool tests.

Alerting follows the Google SRE workbook: the availability SLO gets multi-window,
multi-burn-rate alerts (14.4x over 1h/5m and 6x over 6h/30m page; 3x over 1d/2h and 1x over
3d/6h open a ticket), without ``for:`` because the short window already resets them. Every
other alert exists only when the metric it watches does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from golive.monitoring._model import Model, camel, pool_metrics, ratio_record
from golive.monitoring.base import Severity

#: (severity, long window, short window, burn-rate factor) from the SRE workbook, table 5-8.
BURN_ALERTS = (
    (Severity.P0, "1h", "5m", 14.4),
    (Severity.P0, "6h", "30m", 6.0),
    (Severity.P1, "1d", "2h", 3.0),
    (Severity.P1, "3d", "6h", 1.0),
)


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


def _error_series(model: Model, ratio: float, steps: int) -> dict[str, str]:
    """Traffic whose error ratio is ``ratio`` (rounded up), 1000 good requests a minute."""
    ratio = min(ratio, 0.95)
    per_min_err = max(1, math.ceil(1000 * ratio / (1 - ratio)))
    return _traffic_series(model, 1000, per_min_err, steps)


def _traffic_series(model: Model, per_min_ok: int, per_min_err: int, steps: int) -> dict[str, str]:
    assert model.requests is not None
    ok = model.example_labels(model.requests, **{model.status_label: "200"})
    err = model.example_labels(model.requests, **{model.status_label: "500"})
    return {ok: f"0+{per_min_ok}x{steps}", err: f"0+{per_min_err}x{steps}"}


def _latency_series(model: Model, slow: bool, steps: int, threshold_ms: float) -> dict[str, str]:
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


def _down_alerts(model: Model) -> list[AlertSpec]:
    """The service is gone (P0), or one instance is (P1)."""
    s, job, svc = model.settings, model.job, model.settings.service
    up = f'up{{job="{job}"}}'
    instance = f'up{{job="{job}",instance="{s.target}"}}'
    down = AlertSpec(
        name=f"{model.alert_prefix}Down",
        severity=Severity.P0,
        expr=f"sum by (job) ({up}) == 0\nor\nabsent({up})",
        for_="1m",
        summary=f"{svc} is down: Prometheus cannot scrape any instance",
        description=f"No {svc} instance has answered a scrape for a minute, or the job "
        "disappeared from Prometheus.",
        steps=(
            f'Check the scrape targets: `up{{job="{job}"}}` and Prometheus\' Targets page.',
            f"Check the {svc} processes/pods and their logs; restart or roll back.",
            "If only the scrape is broken (network, TLS), the service may still be serving: "
            "confirm with the health endpoint before paging further.",
        ),
        tests=(
            RuleTest(series={instance: "0x10"}, eval_time="5m", labels={"job": job}),
            RuleTest(series={'up{job="other",instance="x:1"}': "1x10"}, eval_time="5m", labels={"job": job}),
            RuleTest(series={instance: "1x10"}, eval_time="5m", labels={}, fires=False),
        ),
    )
    instance_down = AlertSpec(
        name=f"{model.alert_prefix}InstanceDown",
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
            RuleTest(series={instance: "0x20"}, eval_time="10m", labels={"job": job, "instance": s.target}),
        ),
    )
    return [down, instance_down]


def _burn_alert(model: Model, severity: Severity) -> AlertSpec:
    """The fast (P0, pages) or slow (P1, ticket) error-budget burn of the availability SLO."""
    s, job, budget = model.settings, model.job, model.budget
    pairs = [(lw, sw, f) for sev, lw, sw, f in BURN_ALERTS if sev is severity]
    expr = "\nor\n".join(
        f'(\n  {ratio_record(lw)}{{job="{job}"}} > ({f:g} * {budget:g})\n  and\n'
        f'  {ratio_record(sw)}{{job="{job}"}} > ({f:g} * {budget:g})\n)'
        for lw, sw, f in pairs
    )
    fast = severity is Severity.P0
    tests: tuple[RuleTest, ...]
    if fast:
        tests = (
            RuleTest(series=_error_series(model, 20 * budget, 120), eval_time="70m", labels={"job": job}),
            RuleTest(series=_traffic_series(model, 600, 0, 120), eval_time="70m", labels={}, fires=False),
        )
    else:
        tests = (
            RuleTest(series=_error_series(model, 4 * budget, 140), eval_time="130m", labels={"job": job}),
        )
    pace = (
        "fast: at this rate it is gone within days" if fast else "steadily: the monthly budget will run out"
    )
    return AlertSpec(
        name=f"{model.alert_prefix}ErrorBudget{'Fast' if fast else 'Slow'}Burn",
        severity=severity,
        expr=expr,
        for_="0s",
        summary=f"{s.service} is burning its {s.availability:g}% availability error budget {pace}",
        description=(
            f"Error ratio of {s.service} over "
            + " and ".join(f"{lw}/{sw}" for lw, sw, _ in pairs)
            + " is above "
            + " / ".join(f"{f:g}x" for _, _, f in pairs)
            + f" the budget ({budget:g})."
        ),
        steps=(
            "Open the SLO dashboard: which routes return 5xx "
            f'(`sum by (route) (rate(http_requests_total{{job="{job}",'
            f'{model.status_label}=~"5.."}}[5m]))`)?',
            "Was there a deploy in the last hour? Roll back first, investigate after.",
            "Check dependencies (database, event transport) on the readiness probe.",
        ),
        tests=tests,
    )


def _error_ratio_alert(model: Model) -> AlertSpec:
    """The 5-minute error ratio above the spec's error-rate objective."""
    s, job = model.settings, model.job
    return AlertSpec(
        name=f"{model.alert_prefix}HighErrorRatio",
        severity=Severity.P1,
        expr=f'{ratio_record("5m")}{{job="{job}"}} > {s.error_rate / 100:g}',
        for_="5m",
        summary=f"More than {s.error_rate:g}% of {s.service} requests fail",
        description=f"The 5-minute error ratio of {s.service} is above the {s.error_rate:g}% objective.",
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


def _latency_alerts(model: Model) -> list[AlertSpec]:
    """p95 (P1) and p99 (P2) latency above their objectives, from the duration histogram."""
    assert model.duration is not None
    s, job = model.settings, model.job
    bucket = f"{model.duration.name}_bucket{{{model.sel}}}"
    alerts = []
    for q, objective, severity in (
        (0.95, s.latency_p95_ms, Severity.P1),
        (0.99, s.latency_p99_ms, Severity.P2),
    ):
        if objective is None:
            continue
        pct = int(q * 100)
        finite = [b for b in model.duration.buckets if b != float("inf")]
        if not finite or objective / 1000 >= max(finite):
            # histogram_quantile never returns more than the largest finite bucket: such an
            # alert could never fire, and its test would say so.
            model.notes.append(
                f"no p{pct} latency alert: the histogram {model.duration.name}'s largest finite "
                f"bucket ({max(finite, default=0):g}s) is not above the {objective:g}ms objective, so "
                "latency above it cannot be measured; add a bucket above the objective"
            )
            continue
        alerts.append(
            AlertSpec(
                name=f"{model.alert_prefix}LatencyP{pct}High",
                severity=severity,
                expr=f"histogram_quantile({q:g}, sum by (job, le) (rate({bucket}[5m])))\n"
                f"> {objective / 1000:g}",
                for_="10m" if severity is Severity.P1 else "15m",
                summary=f"{s.service} p{pct} latency is above its {objective:g}ms objective",
                description=f"The {pct}th percentile of request latency over 5 minutes "
                f"exceeds {objective:g}ms.",
                steps=(
                    "Which routes are slow? See the latency panel of the RED dashboard.",
                    "Check saturation: database pool, CPU, in-flight requests (USE dashboard).",
                ),
                tests=(
                    RuleTest(
                        series=_latency_series(model, True, 60, objective),
                        eval_time="30m",
                        labels={"job": job},
                    ),
                    RuleTest(
                        series=_latency_series(model, False, 60, objective),
                        eval_time="30m",
                        labels={},
                        fires=False,
                    ),
                ),
            )
        )
    return alerts


def _lag_alerts(model: Model) -> list[AlertSpec]:
    """Every ``*_lag_seconds`` gauge more than 5 minutes behind (outbox, queues)."""
    s, job = model.settings, model.job
    alerts = []
    for info in model.inventory.metrics.values():
        if info.kind != "gauge" or not info.name.endswith("_lag_seconds"):
            continue
        what = info.name.removeprefix(model.prefix + "_").removesuffix("_lag_seconds")
        series = {f'{info.name}{{job="{job}",instance="{s.target}"}}': "600x30"}
        alerts.append(
            AlertSpec(
                name=f"{model.alert_prefix}{camel(what)}LagHigh",
                severity=Severity.P1,
                expr=f'max by (job) ({info.name}{{job="{job}"}}) > 300',
                for_="10m",
                summary=f"{s.service} {what.replace('_', ' ')} is more than 5 minutes behind",
                description=f"{info.name} has been above 300s for 10 minutes: work is queuing "
                "up instead of being delivered.",
                steps=(
                    f"Graph `{info.name}` and the matching pending/failure counters.",
                    "Check the downstream transport/consumer and the dispatcher's logs.",
                ),
                tests=(RuleTest(series=series, eval_time="20m", labels={"job": job}),),
            )
        )
    return alerts


def _resource_alerts(model: Model) -> list[AlertSpec]:
    """Database pool and file descriptors nearly exhausted, where the service exposes them."""
    s, job, inv = model.settings, model.job, model.inventory
    where = f'job="{job}",instance="{s.target}"'
    alerts = []
    pool = pool_metrics(inv)
    if pool is not None:
        out, size = pool
        alerts.append(
            AlertSpec(
                name=f"{model.alert_prefix}DbPoolSaturated",
                severity=Severity.P1,
                expr=f'sum by (job) ({out}{{job="{job}"}})\n/\nsum by (job) ({size}{{job="{job}"}}) > 0.9',
                for_="10m",
                summary=f"{s.service} uses more than 90% of its database connection pool",
                description="Requests will soon wait for connections and time out.",
                steps=(
                    "Look for slow queries or leaked sessions; check database load.",
                    "Raise the pool size only if the database has headroom.",
                ),
                tests=(
                    RuleTest(
                        series={f"{out}{{{where}}}": "10x30", f"{size}{{{where}}}": "10x30"},
                        eval_time="20m",
                        labels={"job": job},
                    ),
                ),
            )
        )
    if inv.has("process_open_fds") and inv.has("process_max_fds"):
        alerts.append(
            AlertSpec(
                name=f"{model.alert_prefix}FileDescriptorsExhausting",
                severity=Severity.P2,
                expr=f'max by (job) (process_open_fds{{job="{job}"}} / process_max_fds{{job="{job}"}}) > 0.8',
                for_="15m",
                summary=f"{s.service} uses more than 80% of its file descriptors",
                description="Running out of descriptors makes new connections fail.",
                steps=("Check for connection leaks; raise the limit if the load is real.",),
                tests=(
                    RuleTest(
                        series={
                            f"process_open_fds{{{where}}}": "900x40",
                            f"process_max_fds{{{where}}}": "1000x40",
                        },
                        eval_time="30m",
                        labels={"job": job},
                    ),
                ),
            )
        )
    return alerts


def alert_specs(model: Model) -> list[AlertSpec]:
    """Every alert that fits the service's metrics, in the order they are written."""
    alerts = _down_alerts(model)
    if model.requests is not None:
        alerts += [
            _burn_alert(model, Severity.P0),
            _burn_alert(model, Severity.P1),
            _error_ratio_alert(model),
        ]
    if model.duration is not None:
        alerts += _latency_alerts(model)
    return alerts + _lag_alerts(model) + _resource_alerts(model)
