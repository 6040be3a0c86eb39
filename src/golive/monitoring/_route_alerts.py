"""The alerts as written, routed by Alertmanager: does every page-worthy alert reach a person?

The severity probes of ``alertmanager.routes`` route a made-up alert per severity value. A
rule whose labels do not match what the routes match (``severity: page`` against routes on
``severity="critical"``) falls through to the default route while every probe passes; routing
each P0 alert's own labels with ``amtool config routes test`` closes that gap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from golive.kit.check import CheckContext
from golive.monitoring._params import AlertmanagerRoutesParams
from golive.monitoring._rules import AlertRule, expand, load_alerts
from golive.monitoring.base import MonitoringError, Severity

#: Routes a label set with amtool: (receivers, error text or "").
Router = Callable[[dict[str, str]], Awaitable[tuple[list[str], str]]]


def rule_files(params: AlertmanagerRoutesParams, ctx: CheckContext) -> list[Path]:
    """The rule files whose alerts are routed: ``rules``, else those of the spec's prometheus.rules."""
    patterns = params.rules
    if patterns is None:
        patterns = []
        for criterion in ctx.spec.criteria if ctx.spec is not None else []:
            if criterion.check.type == "prometheus.rules":
                patterns.extend(getattr(criterion.check.params, "files", []) or [])
    return [p for p in expand([ctx.resolve(p) for p in patterns], ctx.workdir) if p.is_file()]


def _spellings(params: AlertmanagerRoutesParams) -> dict[str, Severity]:
    return {value: severity for severity, value in params.severity_values.items()}


def page_alerts(files: Sequence[Path], params: AlertmanagerRoutesParams) -> list[AlertRule]:
    """The alerts of a severity that must page (``page``), read from ``files``."""
    alerts: list[AlertRule] = []
    for path in files:
        try:
            alerts.extend(load_alerts(path))
        except MonitoringError:
            continue  # prometheus.rules reports unreadable rule files
    return [a for a in alerts if a.severity(params.label, _spellings(params)) in set(params.page)]


async def route_alerts(
    alerts: Sequence[AlertRule],
    params: AlertmanagerRoutesParams,
    route: Router,
    *,
    silent: frozenset[str],
    default: str,
    probed: dict[Severity, list[str]],
) -> tuple[list[str], list[str]]:
    """Route each alert's own labels: (problems, evidence lines)."""
    problems: list[str] = []
    lines: list[str] = []
    for alert in alerts:
        labels = {"alertname": alert.name, **params.extra_labels, **alert.labels}
        receivers, failure = await route(labels)
        if failure:
            problems.append(f"amtool could not route alert {alert.name}: {failure}")
            continue
        value = alert.labels.get(params.label, "")
        lines.append(f"alert {alert.name} ({params.label}={value}) -> {', '.join(receivers)}")
        if all(r in silent for r in receivers):
            problems.append(
                f"alert {alert.name} ({params.label}={value}) routes to {', '.join(receivers)}, which "
                "notifies nobody: a page-worthy alert must reach a person"
            )
            continue
        severity = alert.severity(params.label, _spellings(params))
        expected = probed.get(severity, []) if severity is not None else []
        if receivers == [default] and expected and expected != [default]:
            problems.append(
                f"alert {alert.name} ({params.label}={value}) matches no route and falls to the default "
                f"receiver {default!r}, while {severity} alerts route to {', '.join(expected)}"
            )
    return problems, lines
