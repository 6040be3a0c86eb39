"""``prometheus.config`` and ``prometheus.rules``: the service's files judged by ``promtool``.

Both run Prometheus' own tool on the committed files, then read the files for what promtool
does not check: expected scrape jobs, alert metadata, runbook anchors, and unit tests that
prove every important alert can fire.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from golive.kit.check import CheckContext
from golive.kit.outcomes import Findings
from golive.monitoring._params import PrometheusConfigParams, PrometheusRulesParams
from golive.monitoring._rules import (
    AlertRule,
    describe_location,
    expand,
    heading_slugs,
    load_alerts,
    load_rule_test,
    runbook_anchor,
)
from golive.monitoring._support import (
    findings_outcome,
    relative,
    rule_test_failure,
    tool,
    tool_failed,
    tool_output,
)
from golive.monitoring._yaml import load_yaml
from golive.monitoring.base import MonitoringError, Severity, parse_severity
from golive.results import Outcome, Status


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
        result = await ctx.run([tool("promtool"), "check", "config", str(config)], cwd=config.parent)
        reproducer = f"promtool check config {config}"
        if result.returncode != 0:
            return tool_failed("promtool check config", result, reproducer)
        try:
            data = load_yaml(config) or {}
        except MonitoringError as exc:
            return Outcome(status=Status.FAIL, summary=str(exc), reproducer=reproducer)
        present = [str(j.get("job_name")) for j in data.get("scrape_configs") or []]
        found = Findings()
        for job in params.jobs:
            if job not in present:
                found.problem(
                    f"scrape job {job!r} is missing from {params.config} "
                    f"(jobs: {', '.join(present) or 'none'})"
                )
        found.measure("scrape_jobs", len(present))
        return findings_outcome(
            found,
            passed=f"promtool check config passed; {len(params.jobs)} expected job(s) "
            f"present among {len(present)}",
            reproducer=reproducer,
            extra_evidence=tool_output(result),
        )


@dataclass(kw_only=True)
class _RuleTests:
    """What the promtool unit tests showed."""

    fired: set[str] = field(default_factory=set)
    failure: str = ""
    found: Findings = field(default_factory=Findings)
    output: str = ""
    reproducer: str = ""


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
            return Outcome(status=Status.FAIL, summary=f"no rule file matches {', '.join(params.files)}")
        promtool = tool("promtool")
        shown = " ".join(shlex.quote(relative(f, ctx.workdir)) for f in files)
        reproducer = f"cd {ctx.workdir} && promtool check rules {shown}"
        result = await ctx.run([promtool, "check", "rules", *map(str, files)])
        if result.returncode != 0:
            return tool_failed("promtool check rules", result, reproducer)
        alerts, loaded = _read_alerts(files)
        tests = await _run_rule_tests(params, ctx, promtool)
        found = Findings()
        if tests.failure:
            found.problem(tests.failure)
        found.extend(loaded)
        found.extend(_metadata_findings(params, ctx, alerts))
        found.extend(tests.found)
        found.extend(_coverage_findings(params, ctx, alerts, tests.fired))
        p0 = sum(1 for a in alerts if a.severity(params.severity_label, params.severity_map) is Severity.P0)
        return findings_outcome(
            found,
            passed=f"{len(alerts)} alerts in {len(files)} file(s) pass promtool; all have "
            f"severity, {', '.join(params.required_annotations)}; "
            f"{p0} P0 alert(s) covered by passing unit tests",
            reproducer=reproducer + tests.reproducer,
            extra_evidence=tests.output,
        )


def _read_alerts(files: list[Path]) -> tuple[list[AlertRule], Findings]:
    alerts: list[AlertRule] = []
    found = Findings()
    for path in files:
        try:
            alerts.extend(load_alerts(path))
        except MonitoringError as exc:
            found.problem(str(exc))
    return alerts, found


async def _run_rule_tests(params: PrometheusRulesParams, ctx: CheckContext, promtool: str) -> _RuleTests:
    """Read which alerts the test files expect to fire, then run them with promtool."""
    tests = expand([ctx.resolve(t) for t in params.tests], ctx.workdir)
    run = _RuleTests()
    for test in tests:
        try:
            run.fired |= load_rule_test(test).fired
        except MonitoringError as exc:
            run.found.problem(str(exc))
    if not tests:
        if params.tests:
            run.found.problem(f"no promtool test file matches {', '.join(params.tests)}")
        return run
    shown = " ".join(shlex.quote(relative(t, ctx.workdir)) for t in tests)
    run.reproducer = f" && promtool test rules {shown}"
    tested = await ctx.run([promtool, "test", "rules", *map(str, tests)])
    run.output = tool_output(tested)
    if tested.returncode != 0:
        run.failure = f"promtool test rules failed: {rule_test_failure(run.output)}"
    return run


def _coverage_findings(
    params: PrometheusRulesParams, ctx: CheckContext, alerts: list[AlertRule], fired: set[str]
) -> Findings:
    """Alerts of a required severity that no unit test expects to fire, and the counts."""
    found = Findings()
    required = set(params.require_tests)
    counted = {s: 0 for s in Severity}
    must_test = untested = 0
    for alert in alerts:
        severity = alert.severity(params.severity_label, params.severity_map)
        if severity is not None:
            counted[severity] += 1
        if severity not in required:
            continue
        must_test += 1
        if alert.name not in fired:
            untested += 1
            found.problem(
                f"{describe_location(alert, ctx.workdir)} (severity "
                f"{alert.labels.get(params.severity_label, '')}) has no promtool unit test that "
                "expects it to fire"
            )
    found.measure("alerts", len(alerts))
    found.measure("p0_alerts", counted[Severity.P0])
    found.measure("required_alerts_tested", must_test - untested)
    return found


def _metadata_findings(params: PrometheusRulesParams, ctx: CheckContext, alerts: list[AlertRule]) -> Findings:
    """Severity labels, required annotations and runbook anchors of every alert."""
    found = Findings()
    slugs: set[str] | None = None
    if params.runbook:
        try:
            slugs = heading_slugs(ctx.path(params.runbook).read_text(encoding="utf-8"))
        except OSError:
            found.problem(f"runbook {params.runbook} cannot be read")
            slugs = set()
    for alert in alerts:
        where = describe_location(alert, ctx.workdir)
        raw = alert.labels.get(params.severity_label)
        if raw is None:
            found.problem(f"{where} has no {params.severity_label} label")
        elif parse_severity(raw, params.severity_map) is None:
            found.problem(
                f"{where} has unknown {params.severity_label} {raw!r} (use P0/P1/P2 or critical/warning/info)"
            )
        for key in params.required_annotations:
            if not alert.annotations.get(key, "").strip():
                found.problem(f"{where} has no {key} annotation")
        url = alert.annotations.get("runbook_url", "")
        if url and slugs is not None:
            anchor = runbook_anchor(url)
            if not anchor:
                found.problem(f"{where}: runbook_url {url} points at no heading (#anchor)")
            elif anchor not in slugs:
                found.problem(f"{where}: runbook_url #{anchor} is not a heading in {params.runbook}")
    return found
