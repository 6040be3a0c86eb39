"""``alertmanager.routes``: every severity reaches a receiver, pages notify, no black holes.

Routing is judged by ``amtool config routes test`` (Alertmanager's own matcher), one probe
alert per severity, rather than by re-implementing Alertmanager's routing tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from golive.kit.check import CheckContext
from golive.kit.outcomes import Findings, no_data
from golive.monitoring._params import AlertmanagerRoutesParams
from golive.monitoring._route_alerts import page_alerts, route_alerts, rule_files
from golive.monitoring._support import (
    findings_outcome,
    first_error,
    spec_paths_problem,
    tool,
    tool_failed,
    tool_output,
)
from golive.monitoring._yaml import load_yaml
from golive.monitoring.base import Severity
from golive.results import Outcome, Status


class AlertmanagerRoutesCheck:
    """Every severity routes to a receiver; pages notify; no accidental black holes."""

    name: ClassVar[str] = "alertmanager.routes"
    description: ClassVar[str] = (
        "amtool check-config; each severity routes to a receiver, P0 pages, nothing routes to "
        "a black hole by accident; every page-worthy alert of the rules reaches a notifying route "
        "with its own labels."
    )
    Params: ClassVar[type[AlertmanagerRoutesParams]] = AlertmanagerRoutesParams

    async def run(self, params: AlertmanagerRoutesParams, ctx: CheckContext) -> Outcome:
        """Validate with amtool, then route a test alert of each severity."""
        config = ctx.path(params.config)
        mistake = spec_paths_problem("config", [config], ctx.workdir, file="alertmanager.yml")
        if mistake:
            return no_data(mistake)
        if not config.is_file():
            return Outcome(status=Status.FAIL, summary=f"{params.config} does not exist")
        amtool = tool("amtool")
        checked = await ctx.run([amtool, "check-config", str(config)])
        reproducer = f"amtool check-config {config}"
        if checked.returncode != 0:
            return tool_failed("amtool check-config", checked, reproducer)
        data: dict[str, Any] = load_yaml(config) or {}
        silent = {
            str(r.get("name"))
            for r in data.get("receivers") or []
            if not any(k.endswith("_configs") and v for k, v in r.items())
        }
        routing = _Routing(
            ctx=ctx,
            amtool=amtool,
            config=config,
            params=params,
            silent=frozenset(silent),
            allowed=frozenset(params.allow_silent),
        )
        problems: list[str] = []
        lines: list[str] = []
        probed: dict[Severity, list[str]] = {}
        for severity, value in sorted(params.severity_values.items()):
            shown_problems, shown, probed[severity] = await routing.probe(severity, value)
            problems.extend(shown_problems)
            lines.extend(shown)
        problems.extend(_black_hole_routes(data.get("route") or {}, routing.silent, routing.allowed))
        alerts = page_alerts(rule_files(params, ctx), params)
        alert_problems, alert_lines = await route_alerts(
            alerts,
            params,
            routing.route,
            silent=routing.silent,
            default=str((data.get("route") or {}).get("receiver", "")),
            probed=probed,
        )
        problems.extend(alert_problems)
        # One black-hole receiver reached by several severities and routes is one problem.
        found = Findings(problems=list(dict.fromkeys(problems)))
        found.measure("page_alerts_routed", len(alerts))
        own = (
            f"{len(alerts)} page-worthy alert(s) of the rules reach a notifying route with their own labels"
            if alerts
            else "no alert rule routed with its own labels (no rule file, or no page-worthy alert in it)"
        )
        return findings_outcome(
            found,
            passed="amtool check-config passed; "
            + "; ".join(ln for ln in lines if not ln.startswith("  "))
            + f"; {own}",
            reproducer=reproducer,
            extra_evidence="\n".join(lines + alert_lines),
        )


@dataclass(frozen=True, kw_only=True)
class _Routing:
    """An Alertmanager config under test and what counts as notifying someone."""

    ctx: CheckContext
    amtool: str
    config: Path
    params: AlertmanagerRoutesParams
    silent: frozenset[str]
    allowed: frozenset[str]

    async def route(self, labels: dict[str, str]) -> tuple[list[str], str]:
        """The receivers amtool routes a label set to, or the error text."""
        pairs = [f"{k}={v}" for k, v in labels.items()]
        argv = [self.amtool, "config", "routes", "test", f"--config.file={self.config}", *pairs]
        routed = await self.ctx.run(argv)
        if routed.returncode != 0:
            return [], first_error(tool_output(routed))
        return [r for r in routed.stdout.strip().split(",") if r], ""

    async def probe(self, severity: Severity, value: str) -> tuple[list[str], list[str], list[str]]:
        """Route a probe alert of ``severity`` with amtool: (problems, evidence lines, receivers)."""
        params = self.params
        labels = {"alertname": "GoliveRouteProbe", **params.extra_labels, params.label: value}
        pairs = [f"{k}={v}" for k, v in labels.items()]
        receivers, failure = await self.route(labels)
        if failure:
            return [f"amtool could not route {severity}: {failure}"], [], []
        lines = [
            f"{severity} ({params.label}={value}) -> {', '.join(receivers)}",
            f"  amtool config routes test --config.file={self.config} {' '.join(pairs)}",
        ]
        problems = []
        if severity in params.page and all(r in self.silent for r in receivers):
            problems.append(
                f"{severity} alerts ({params.label}={value}) route to "
                f"{', '.join(receivers)}, which notif{'ies' if len(receivers) == 1 else 'y'} "
                "nobody: a P0 must page"
            )
        for r in receivers:
            if r in self.silent and r not in self.allowed:
                problems.append(
                    f"{severity} alerts ({params.label}={value}) route to black-hole "
                    f"receiver {r!r} (no integrations; list it in allow_silent if intended)"
                )
        return problems, lines, receivers


def _black_hole_routes(
    route: dict[str, Any], silent: frozenset[str], allowed: frozenset[str], path: str = "route"
) -> list[str]:
    """Routes (the default one included) whose receiver notifies nobody, unless allowed."""
    problems = []
    receiver = route.get("receiver")
    if receiver in silent and receiver not in allowed:
        matchers = route.get("matchers") or route.get("match") or route.get("match_re") or {}
        where = "the default route (unmatched alerts)" if path == "route" else f"{path} {matchers}"
        problems.append(f"{where} sends to black-hole receiver {receiver!r}")
    for i, child in enumerate(route.get("routes") or []):
        if isinstance(child, dict):
            problems.extend(_black_hole_routes(child, silent, allowed, f"{path}.routes[{i}]"))
    return problems
