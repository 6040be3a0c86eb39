"""Check types of the monitoring family: Prometheus, Alertmanager, Grafana and the alert drill.

Static checks run the real tools (``promtool``, ``amtool``) on the service's files; live
checks ask the running Prometheus (the environment's ``prometheus_url``).
"""

from __future__ import annotations

import asyncio
import math
import operator
import re
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from golive._process import ProcessResult
from golive.checks._common import excerpt
from golive.checks.base import Check, CheckContext, CheckError, Params
from golive.monitoring import _dashboards as dash
from golive.monitoring._drill import AlertDrillCheck
from golive.monitoring._promapi import PrometheusAPI, Sample
from golive.monitoring._rules import (
    AlertRule,
    describe_location,
    expand,
    heading_slugs,
    load_alerts,
    load_rule_test,
    runbook_anchor,
)
from golive.monitoring._yaml import dump_yaml, load_yaml
from golive.monitoring.base import (
    SEVERITY_LABEL_VALUES,
    MonitoringError,
    Severity,
    parse_severity,
)
from golive.results import Evidence, Measurement, Outcome, Status
from golive.spec._duration import Duration

_MAX_LISTED = 3


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CheckError(
            f"{name} is not installed (Debian: apt-get install prometheus prometheus-alertmanager)"
        )
    return path


def _tool_output(result: ProcessResult) -> str:
    return (result.stdout + "\n" + result.stderr).strip()


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _problems_outcome(
    problems: Sequence[str],
    *,
    ok_summary: str,
    measurements: Sequence[Measurement] = (),
    reproducer: str = "",
    extra_evidence: str = "",
) -> Outcome:
    """PASS with ``ok_summary``, or FAIL naming the first problems (all of them in evidence)."""
    if not problems:
        return Outcome(
            status=Status.PASS,
            summary=ok_summary,
            measurements=tuple(measurements),
            evidence=Evidence(excerpt=excerpt(extra_evidence)),
            reproducer=reproducer,
        )
    shown = "; ".join(problems[:_MAX_LISTED])
    if len(problems) > _MAX_LISTED:
        shown += f" (and {len(problems) - _MAX_LISTED} more)"
    return Outcome(
        status=Status.FAIL,
        summary=shown,
        measurements=tuple(measurements),
        evidence=Evidence(
            excerpt=excerpt("\n".join(f"- {p}" for p in problems) + "\n" + extra_evidence)
        ),
        reproducer=reproducer,
    )


def _api(ctx: CheckContext, check: str) -> PrometheusAPI:
    if not ctx.environment.prometheus_url:
        raise CheckError(f"{check} needs the environment's prometheus_url")
    return PrometheusAPI(ctx.http, ctx.resolve(ctx.environment.prometheus_url), ctx.timeout)


# --------------------------------------------------------------------------- prometheus.config


class PrometheusConfigParams(Params):
    """Params of ``prometheus.config``."""

    config: str = Field(default="monitoring/prometheus.yml", description="Prometheus config file.")
    jobs: list[str] = Field(default_factory=list, description="Scrape jobs that must be present.")


class PrometheusConfigCheck:
    """``promtool check config`` passes and every expected scrape job is configured."""

    name: ClassVar[str] = "prometheus.config"
    description: ClassVar[str] = "promtool check config; every listed scrape job is present."
    Params: ClassVar[type[PrometheusConfigParams]] = PrometheusConfigParams

    async def run(self, params: PrometheusConfigParams, ctx: CheckContext) -> Outcome:
        """Validate the config with promtool, then compare its jobs with the list."""
        config = ctx.path(params.config)
        if not config.is_file():
            return Outcome(status=Status.FAIL, summary=f"{params.config} does not exist")
        argv = [_tool("promtool"), "check", "config", str(config)]
        result = await ctx.run(argv, cwd=config.parent)
        output = _tool_output(result)
        reproducer = f"promtool check config {config}"
        if result.returncode != 0:
            return Outcome(
                status=Status.FAIL,
                summary=f"promtool check config failed: {_first_error(output)}",
                evidence=Evidence(excerpt=excerpt(output)),
                reproducer=reproducer,
            )
        try:
            data = load_yaml(config) or {}
        except MonitoringError as exc:
            return Outcome(status=Status.FAIL, summary=str(exc), reproducer=reproducer)
        present = [str(j.get("job_name")) for j in data.get("scrape_configs") or []]
        missing = [j for j in params.jobs if j not in present]
        problems = [
            f"scrape job {j!r} is missing from {params.config} (jobs: {', '.join(present) or 'none'})"
            for j in missing
        ]
        return _problems_outcome(
            problems,
            ok_summary=f"promtool check config passed; {len(params.jobs)} expected job(s) "
            f"present among {len(present)}",
            measurements=[Measurement(name="scrape_jobs", value=len(present))],
            reproducer=reproducer,
            extra_evidence=output,
        )


def _first_error(output: str) -> str:
    for line in output.splitlines():
        _, marker, rest = line.partition("FAILED:")
        if marker and rest.strip():
            return rest.strip()
    for line in output.splitlines():
        if line.strip().startswith(("Checking ", "Unit Testing")):
            continue
        low = line.lower()
        if any(w in low for w in ("error", "failed", "could not", "parse", "invalid", "unknown")):
            text = line.strip().lstrip("- ").strip()
            if text and not text.endswith("FAILED:"):
                return text
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


# ---------------------------------------------------------------------------- prometheus.rules


class PrometheusRulesParams(Params):
    """Params of ``prometheus.rules``."""

    files: list[str] = Field(min_length=1, description="Rule files (globs), relative to the spec.")
    tests: list[str] = Field(default_factory=list, description="promtool test files (globs).")
    runbook: str | None = Field(
        default=None, description="Markdown runbook: each runbook_url's #anchor must be a heading."
    )
    require_tests: list[Severity] = Field(
        default_factory=lambda: [Severity.P0],
        description="Severities whose alerts need a promtool test that expects them to fire.",
    )
    severity_label: str = "severity"
    severity_map: dict[str, Severity] = Field(
        default_factory=dict, description="Extra severity spellings, e.g. {sev1: P0}."
    )
    required_annotations: list[str] = Field(default_factory=lambda: ["summary", "runbook_url"])


class PrometheusRulesCheck:
    """Rules pass promtool; every alert is classified, documented and (for P0) unit-tested."""

    name: ClassVar[str] = "prometheus.rules"
    description: ClassVar[str] = (
        "promtool check rules; every alert has severity, summary and a runbook_url whose "
        "heading exists; every P0 alert is covered by a passing promtool unit test."
    )
    Params: ClassVar[type[PrometheusRulesParams]] = PrometheusRulesParams

    async def run(self, params: PrometheusRulesParams, ctx: CheckContext) -> Outcome:
        """Run promtool, then read the rules and the tests."""
        files = expand([ctx.resolve(f) for f in params.files], ctx.workdir)
        if not files:
            return Outcome(
                status=Status.FAIL, summary=f"no rule file matches {', '.join(params.files)}"
            )
        promtool = _tool("promtool")
        shown = " ".join(shlex.quote(_rel(f, ctx.workdir)) for f in files)
        reproducer = f"cd {ctx.workdir} && promtool check rules {shown}"
        result = await ctx.run([promtool, "check", "rules", *map(str, files)])
        output = _tool_output(result)
        if result.returncode != 0:
            return Outcome(
                status=Status.FAIL,
                summary=f"promtool check rules failed: {_first_error(output)}",
                evidence=Evidence(excerpt=excerpt(output)),
                reproducer=reproducer,
            )
        problems: list[str] = []
        alerts: list[AlertRule] = []
        for path in files:
            try:
                alerts.extend(load_alerts(path))
            except MonitoringError as exc:
                problems.append(str(exc))
        problems.extend(self._metadata_problems(params, ctx, alerts))

        tests = expand([ctx.resolve(t) for t in params.tests], ctx.workdir)
        fired: set[str] = set()
        test_output = ""
        for test in tests:
            try:
                fired |= load_rule_test(test).fired
            except MonitoringError as exc:
                problems.append(str(exc))
        if tests:
            shown_tests = " ".join(shlex.quote(_rel(t, ctx.workdir)) for t in tests)
            reproducer += f" && promtool test rules {shown_tests}"
            tested = await ctx.run([promtool, "test", "rules", *map(str, tests)])
            test_output = _tool_output(tested)
            if tested.returncode != 0:
                problems.insert(0, f"promtool test rules failed: {_test_failure(test_output)}")
        elif params.tests:
            problems.append(f"no promtool test file matches {', '.join(params.tests)}")

        required = set(params.require_tests)
        untested = [
            a
            for a in alerts
            if a.severity(params.severity_label, params.severity_map) in required
            and a.name not in fired
        ]
        for a in untested:
            sev = a.labels.get(params.severity_label, "")
            problems.append(
                f"{describe_location(a, ctx.workdir)} (severity {sev}) has no promtool unit "
                "test that expects it to fire"
            )
        counted = {
            s: sum(1 for a in alerts if a.severity(params.severity_label, params.severity_map) is s)
            for s in Severity
        }
        measurements = [
            Measurement(name="alerts", value=len(alerts)),
            Measurement(name="p0_alerts", value=counted[Severity.P0]),
            Measurement(
                name="required_alerts_tested",
                value=sum(
                    1
                    for a in alerts
                    if a.severity(params.severity_label, params.severity_map) in required
                )
                - len(untested),
            ),
        ]
        return _problems_outcome(
            problems,
            ok_summary=f"{len(alerts)} alerts in {len(files)} file(s) pass promtool; all have "
            f"severity, {', '.join(params.required_annotations)}; "
            f"{counted[Severity.P0]} P0 alert(s) covered by passing unit tests",
            measurements=measurements,
            reproducer=reproducer,
            extra_evidence=test_output,
        )

    def _metadata_problems(
        self, params: PrometheusRulesParams, ctx: CheckContext, alerts: list[AlertRule]
    ) -> list[str]:
        problems: list[str] = []
        slugs: set[str] | None = None
        if params.runbook:
            runbook = ctx.path(params.runbook)
            try:
                slugs = heading_slugs(runbook.read_text(encoding="utf-8"))
            except OSError:
                problems.append(f"runbook {params.runbook} cannot be read")
                slugs = set()
        for a in alerts:
            where = describe_location(a, ctx.workdir)
            raw = a.labels.get(params.severity_label)
            if raw is None:
                problems.append(f"{where} has no {params.severity_label} label")
            elif parse_severity(raw, params.severity_map) is None:
                problems.append(
                    f"{where} has unknown {params.severity_label} {raw!r} "
                    "(use P0/P1/P2 or critical/warning/info)"
                )
            for key in params.required_annotations:
                if not a.annotations.get(key, "").strip():
                    problems.append(f"{where} has no {key} annotation")
            url = a.annotations.get("runbook_url", "")
            if url and slugs is not None:
                anchor = runbook_anchor(url)
                if not anchor:
                    problems.append(f"{where}: runbook_url {url} points at no heading (#anchor)")
                elif anchor not in slugs:
                    problems.append(
                        f"{where}: runbook_url #{anchor} is not a heading in {params.runbook}"
                    )
        return problems


def _test_failure(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if "FAILED" in line and i + 1 < len(lines):
            return " ".join(lines[i + 1 : i + 3])[:300]
    return _first_error(output)


# -------------------------------------------------------------------------- prometheus.targets


class PrometheusTargetsParams(Params):
    """Params of ``prometheus.targets``."""

    jobs: list[str] = Field(min_length=1, description="Scrape jobs whose targets must all be up.")
    max_staleness: float = Field(
        default=2.0, gt=0, description="Last scrape at most this many scrape intervals ago."
    )
    settle: Duration = Field(
        default=20.0,
        ge=0,
        description="How long to wait for targets not yet discovered or scraped once "
        "(a Prometheus that just started); targets that are down are reported at once.",
    )


class PrometheusTargetsCheck:
    """Every target of every expected job is up and was scraped recently."""

    name: ClassVar[str] = "prometheus.targets"
    description: ClassVar[str] = (
        "On the live Prometheus, every expected job has all targets up, scraped within the "
        "last 2 intervals."
    )
    Params: ClassVar[type[PrometheusTargetsParams]] = PrometheusTargetsParams

    async def run(self, params: PrometheusTargetsParams, ctx: CheckContext) -> Outcome:
        """Read /api/v1/targets."""
        from datetime import UTC, datetime

        api = _api(ctx, self.name)
        deadline = time.monotonic() + params.settle
        while True:
            try:
                targets = await api.targets()
            except MonitoringError as exc:
                raise CheckError(str(exc)) from None
            # A fresh Prometheus needs a moment to discover and first scrape its targets.
            pending = any(not any(t.job == job for t in targets) for job in params.jobs) or any(
                t.job in params.jobs and (t.health == "unknown" or t.last_scrape is None) for t in targets
            )
            if not pending or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.5)
        now = datetime.now(UTC)
        problems: list[str] = []
        up = total = 0
        lines = []
        jobs_seen = sorted({t.job for t in targets})
        for job in params.jobs:
            mine = [t for t in targets if t.job == job]
            if not mine:
                problems.append(
                    f"job {job!r} has no target in Prometheus (jobs: {', '.join(jobs_seen) or 'none'})"
                )
                continue
            for t in mine:
                total += 1
                age = (now - t.last_scrape).total_seconds() if t.last_scrape else math.inf
                limit = params.max_staleness * (t.scrape_interval_s or 60.0)
                lines.append(f"{job} {t.instance}: {t.health}, last scrape {age:.1f}s ago")
                if t.health != "up":
                    problems.append(
                        f"{job} target {t.instance} is {t.health}: {t.last_error or 'no error text'}"
                    )
                elif age > limit:
                    problems.append(
                        f"{job} target {t.instance} last scraped {age:.0f}s ago "
                        f"(> {params.max_staleness:g} intervals = {limit:g}s)"
                    )
                else:
                    up += 1
        return _problems_outcome(
            problems,
            ok_summary=f"{up}/{total} targets of {len(params.jobs)} job(s) up and fresh",
            measurements=[Measurement(name="targets_up", value=up, target=f"= {total}")],
            reproducer=f"curl -s '{api.base_url}/api/v1/targets?state=active'",
            extra_evidence="\n".join(lines),
        )


# ---------------------------------------------------------------------------- prometheus.query

Objective = Literal["availability", "latency_p95_ms", "latency_p99_ms", "error_rate"]
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


class PrometheusQueryParams(Params):
    """Params of ``prometheus.query``."""

    query: str = Field(description="PromQL instant query; ${VAR} allowed.")
    op: Literal[">=", ">", "<=", "<", "==", "!="] = ">="
    threshold: float | None = Field(default=None, description="Number to compare with.")
    objective: Objective | None = Field(
        default=None, description="Compare with this objective of the spec instead."
    )
    unit: str = ""

    @model_validator(mode="after")
    def _one_target(self) -> PrometheusQueryParams:
        if (self.threshold is None) == (self.objective is None):
            raise ValueError("give exactly one of threshold or objective")
        return self


class PrometheusQueryCheck:
    """A PromQL expression on the live Prometheus compared with a threshold or objective."""

    name: ClassVar[str] = "prometheus.query"
    description: ClassVar[str] = (
        "Evaluate PromQL on the live Prometheus and compare every series with a threshold or "
        "an objective; an empty result is no-data."
    )
    Params: ClassVar[type[PrometheusQueryParams]] = PrometheusQueryParams

    async def run(self, params: PrometheusQueryParams, ctx: CheckContext) -> Outcome:
        """Query and compare."""
        api = _api(ctx, self.name)
        query = ctx.resolve(params.query)
        if params.objective is not None:
            value = getattr(ctx.objectives, params.objective)
            if value is None:
                raise CheckError(f"the spec has no objectives.{params.objective}")
            threshold = float(value)
            target_name = f"objectives.{params.objective} = {threshold:g}"
        else:
            assert params.threshold is not None
            threshold = params.threshold
            target_name = f"{threshold:g}"
        reproducer = f"curl -s {api.base_url}/api/v1/query --data-urlencode {shlex.quote('query=' + query)}"
        try:
            samples = await api.query(query)
        except MonitoringError as exc:
            return Outcome(
                status=Status.ERROR,
                summary=f"query failed: {exc} (query: {query})",
                reproducer=reproducer,
            )
        usable = [s for s in samples if not math.isnan(s.value)]
        listing = "\n".join(s.describe() for s in samples)
        evidence = Evidence(excerpt=excerpt(f"query: {query}\n{listing or '(empty result)'}"))
        if not usable:
            return Outcome(
                status=Status.NO_DATA,
                summary=f"query returned no data{' (only NaN)' if samples else ''}: {query}",
                evidence=evidence,
                reproducer=reproducer,
            )
        compare = _OPS[params.op]
        bad: list[Sample] = [s for s in usable if not compare(s.value, threshold)]
        unit = f" {params.unit}" if params.unit else ""
        worst = (bad or usable)[0]
        measurements = tuple(
            Measurement(
                name=_series_name(s) or "value",
                value=s.value,
                unit=params.unit,
                target=f"{params.op} {threshold:g}",
            )
            for s in usable[:10]
        )
        if bad:
            return Outcome(
                status=Status.FAIL,
                summary=f"{len(bad)}/{len(usable)} series fail {params.op} {target_name}: "
                f"{worst.describe()}{unit} (query: {query})",
                measurements=measurements,
                evidence=evidence,
                reproducer=reproducer,
            )
        return Outcome(
            status=Status.PASS,
            summary=f"{query} = {worst.value:g}{unit} {params.op} {target_name}"
            + (f" ({len(usable)} series)" if len(usable) > 1 else ""),
            measurements=measurements,
            evidence=evidence,
            reproducer=reproducer,
        )


def _series_name(sample: Sample) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()) if k != "__name__")


# -------------------------------------------------------------------------- alertmanager.routes


class AlertmanagerRoutesParams(Params):
    """Params of ``alertmanager.routes``."""

    config: str = Field(default="monitoring/alertmanager.yml")
    label: str = Field(default="severity", description="The label that carries severity.")
    severity_values: dict[Severity, str] = Field(
        default_factory=lambda: {k: v for k, v in SEVERITY_LABEL_VALUES.items()},
        description="Label value used for each severity class.",
    )
    extra_labels: dict[str, str] = Field(
        default_factory=dict, description="Labels every alert carries (team, service)."
    )
    page: list[Severity] = Field(
        default_factory=lambda: [Severity.P0],
        description="Severities that must reach a receiver that notifies someone.",
    )
    allow_silent: list[str] = Field(
        default_factory=list, description="Receivers allowed to notify nobody (e.g. 'null')."
    )


class AlertmanagerRoutesCheck:
    """Every severity routes to a receiver; pages notify; no accidental black holes."""

    name: ClassVar[str] = "alertmanager.routes"
    description: ClassVar[str] = (
        "amtool check-config; each severity routes to a receiver, P0 pages, nothing routes to "
        "a black hole by accident."
    )
    Params: ClassVar[type[AlertmanagerRoutesParams]] = AlertmanagerRoutesParams

    async def run(self, params: AlertmanagerRoutesParams, ctx: CheckContext) -> Outcome:
        """Validate with amtool, then route a test alert of each severity."""
        config = ctx.path(params.config)
        if not config.is_file():
            return Outcome(status=Status.FAIL, summary=f"{params.config} does not exist")
        amtool = _tool("amtool")
        checked = await ctx.run([amtool, "check-config", str(config)])
        output = _tool_output(checked)
        reproducer = f"amtool check-config {config}"
        if checked.returncode != 0:
            return Outcome(
                status=Status.FAIL,
                summary=f"amtool check-config failed: {_first_error(output)}",
                evidence=Evidence(excerpt=excerpt(output)),
                reproducer=reproducer,
            )
        data: dict[str, Any] = load_yaml(config) or {}
        silent = {
            str(r.get("name"))
            for r in data.get("receivers") or []
            if not any(k.endswith("_configs") and v for k, v in r.items())
        }
        allowed = set(params.allow_silent)
        problems: list[str] = []
        lines: list[str] = []
        for severity, value in sorted(params.severity_values.items()):
            labels = {
                "alertname": "GoliveRouteProbe",
                **params.extra_labels,
                params.label: value,
            }
            argv = [
                amtool,
                "config",
                "routes",
                "test",
                f"--config.file={config}",
                *[f"{k}={v}" for k, v in labels.items()],
            ]
            routed = await ctx.run(argv)
            if routed.returncode != 0:
                problems.append(f"amtool could not route {severity}: {_first_error(_tool_output(routed))}")
                continue
            receivers = [r for r in routed.stdout.strip().split(",") if r]
            lines.append(f"{severity} ({params.label}={value}) -> {', '.join(receivers)}")
            reproducer_line = " ".join(f"{k}={v}" for k, v in labels.items())
            lines.append(f"  amtool config routes test --config.file={config} {reproducer_line}")
            notifying = [r for r in receivers if r not in silent]
            if severity in params.page and not notifying:
                problems.append(
                    f"{severity} alerts ({params.label}={value}) route to "
                    f"{', '.join(receivers)}, which notif{'ies' if len(receivers) == 1 else 'y'} "
                    "nobody: a P0 must page"
                )
            for r in receivers:
                if r in silent and r not in allowed:
                    problems.append(
                        f"{severity} alerts ({params.label}={value}) route to black-hole "
                        f"receiver {r!r} (no integrations; list it in allow_silent if intended)"
                    )
        problems.extend(_black_hole_routes(data.get("route") or {}, silent, allowed))
        return _problems_outcome(
            _dedupe(problems),
            ok_summary="amtool check-config passed; "
            + "; ".join(ln for ln in lines if not ln.startswith("  ")),
            reproducer=reproducer,
            extra_evidence="\n".join(lines),
        )


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _black_hole_routes(
    route: dict[str, Any], silent: set[str], allowed: set[str], path: str = "route"
) -> list[str]:
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


# --------------------------------------------------------------------------- grafana.dashboards


class GrafanaDashboardsParams(Params):
    """Params of ``grafana.dashboards``."""

    files: list[str] = Field(min_length=1, description="Dashboard JSON files (globs).")
    require_data: bool = Field(
        default=True, description="Every panel query must return data on the live Prometheus."
    )
    require_datasource_variable: bool = True
    variables: dict[str, str] = Field(
        default_factory=dict, description="Values for dashboard variables, e.g. {job: api}."
    )
    allow_empty: list[str] = Field(
        default_factory=list, description="Panel titles allowed to have no data."
    )


class GrafanaDashboardsCheck:
    """Dashboards are valid, use the datasource variable, parse, and show data."""

    name: ClassVar[str] = "grafana.dashboards"
    description: ClassVar[str] = (
        "Each dashboard JSON is valid with unique panel ids and the datasource variable; every "
        "panel's PromQL parses and returns data on the live Prometheus."
    )
    Params: ClassVar[type[GrafanaDashboardsParams]] = GrafanaDashboardsParams

    async def run(self, params: GrafanaDashboardsParams, ctx: CheckContext) -> Outcome:
        """Read each dashboard; parse all queries with promtool; evaluate them."""
        files = expand([ctx.resolve(f) for f in params.files], ctx.workdir)
        if not files:
            return Outcome(
                status=Status.FAIL, summary=f"no dashboard matches {', '.join(params.files)}"
            )
        api = _api(ctx, self.name) if params.require_data else None
        problems: list[str] = []
        todo: list[tuple[dash.Dashboard, dash.PanelQuery, str]] = []
        for path in files:
            try:
                board = dash.load_dashboard(path)
            except MonitoringError as exc:
                problems.append(str(exc))
                continue
            where = f"{path.name} ({board.title})"
            for pid in dash.duplicate_ids(board):
                problems.append(f"{where}: panel id {pid} is used more than once")
            allowed = dash.datasource_variables(board)
            if params.require_datasource_variable and not allowed:
                problems.append(f"{where}: no datasource variable (templating type 'datasource')")
            for q in dash.queries(board):
                if params.require_datasource_variable and allowed:
                    why = dash.datasource_problem(q, allowed)
                    if why:
                        problems.append(f"{where}: panel {q.panel_title!r} {why}")
                todo.append((board, q, dash.substitute(q.expr, board, params.variables)))
        parse_errors = await _parse_promql([expr for _, _, expr in todo], ctx)
        empty = 0
        evaluated = 0
        for index, (board, q, expr) in enumerate(todo):
            where = f"{board.path.name} ({board.title})"
            if index in parse_errors:
                problems.append(
                    f"{where}: panel {q.panel_title!r} ({q.ref_id}) does not parse: "
                    f"{parse_errors[index]}; query: {q.expr}"
                )
                continue
            if api is None:
                continue
            try:
                samples = await api.query(expr)
            except MonitoringError as exc:
                problems.append(f"{where}: panel {q.panel_title!r} query fails: {exc}; query: {expr}")
                continue
            evaluated += 1
            if not samples and q.panel_title not in params.allow_empty:
                empty += 1
                problems.append(
                    f"{where}: panel {q.panel_title!r} ({q.ref_id}) is empty on "
                    f"{api.base_url}; query: {expr}"
                )
        measurements = [
            Measurement(name="dashboards", value=len(files)),
            Measurement(name="queries", value=len(todo)),
            Measurement(name="empty_panels", value=empty, target="= 0"),
        ]
        data_note = f", all {evaluated} return data" if api is not None else ""
        return _problems_outcome(
            problems,
            ok_summary=f"{len(files)} dashboard(s), {len(todo)} panel queries parse{data_note}",
            measurements=measurements,
            reproducer=f"golive review --only {ctx.criterion_id}",
        )


async def _parse_promql(exprs: list[str], ctx: CheckContext) -> dict[int, str]:
    """Parse every expression with Prometheus' own parser (``promtool check rules``).

    Each expression becomes a recording rule in its own group, so promtool's error lines
    (``group "q12", rule 1, ...: could not parse expression: ...``) map back to the query.
    """
    if not exprs:
        return {}
    promtool = _tool("promtool")
    groups = [
        {"name": f"q{i}", "rules": [{"record": "golive:panel_query", "expr": e}]}
        for i, e in enumerate(exprs)
    ]
    with tempfile.TemporaryDirectory(prefix="golive-promql-") as tmp:
        path = Path(tmp) / "panels.rules.yml"
        path.write_text(dump_yaml({"groups": groups}))
        result = await ctx.run([promtool, "check", "rules", str(path)])
    errors: dict[int, str] = {}
    if result.returncode == 0:
        return errors
    for match in re.finditer(r'group "q(\d+)", rule \d+, "[^"]*": (.*)', _tool_output(result)):
        errors[int(match.group(1))] = match.group(2).strip()
    if not errors:
        # Not a per-expression error (e.g. invalid YAML): blame every query rather than none.
        return {i: _first_error(_tool_output(result)) for i in range(len(exprs))}
    return errors


CHECK_TYPES: list[type[Check]] = [
    PrometheusConfigCheck,
    PrometheusRulesCheck,
    PrometheusTargetsCheck,
    PrometheusQueryCheck,
    AlertmanagerRoutesCheck,
    AlertDrillCheck,
    GrafanaDashboardsCheck,
]
"""The monitoring check types, registered by :func:`golive.checks.builtin_types`."""
