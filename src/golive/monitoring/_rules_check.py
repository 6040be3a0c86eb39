"""``prometheus.rules``: the service's alert rules judged by promtool, their tests and live series.

promtool proves the files parse and the unit tests pass; golive then reads the rules for what
promtool does not check (severity, annotations, runbook anchors, which alerts a passing test
expects to fire) and asks where the metrics live whether every selector watches series that
exist (:mod:`golive.monitoring._series`). The pass summary names only what was verified.
"""

from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError, Inputs
from golive.kit.outcomes import Findings, no_data
from golive.kit.prometheus import PrometheusError
from golive.monitoring._params import PrometheusRulesParams
from golive.monitoring._rule_findings import coverage_findings, metadata_findings
from golive.monitoring._rules import (
    AlertRule,
    RuleFileContent,
    RuleTestFile,
    describe_location,
    expand,
    load_rule_test,
    load_rules,
)
from golive.monitoring._series import (
    ExpositionSeries,
    PrometheusSeries,
    SeriesReport,
    SeriesSource,
    WatchedRule,
    verify_rules,
)
from golive.monitoring._support import (
    findings_outcome,
    listing,
    prometheus,
    relative,
    rule_test_failure,
    spec_paths_problem,
    tool,
    tool_failed,
    tool_output,
)
from golive.monitoring.base import MonitoringError
from golive.results import Outcome


@dataclass(kw_only=True)
class _RuleTests:
    """What the promtool unit tests showed."""

    files: list[RuleTestFile] = field(default_factory=list)
    failure: str = ""
    found: Findings = field(default_factory=Findings)
    output: str = ""
    reproducer: str = ""

    def fires(self, alert: AlertRule) -> bool:
        """A test loads the alert's file and expects the alert to fire (a failed run is a problem)."""
        return any(t.fires(alert) for t in self.files)


class PrometheusRulesCheck:
    """Rules pass promtool; alerts are classified, documented, tested, and watch real series."""

    name: ClassVar[str] = "prometheus.rules"
    description: ClassVar[str] = (
        "promtool check rules; every alert has severity, summary and a runbook_url whose "
        "heading exists; alerts of the required severities are expected to fire by passing "
        "promtool unit tests; every selector of every rule matches series that exist."
    )
    Params: ClassVar[type[PrometheusRulesParams]] = PrometheusRulesParams
    #: With ``series: off`` it reads files with promtool only: reusable. Otherwise it looks the
    #: selectors up in the live Prometheus or the service's metrics, and always runs.
    reusable: ClassVar[bool] = True

    def inputs(self, params: PrometheusRulesParams, ctx: CheckContext) -> Inputs:
        """Rule files, test files and the rule files they load, the runbook, and promtool."""
        if params.series != "off":
            raise CheckError(f"series: {params.series} looks selectors up in the running system")
        files = expand([ctx.resolve(f) for f in params.files], ctx.workdir)
        tests = expand([ctx.resolve(t) for t in params.tests], ctx.workdir)
        loaded: list[Path] = []
        for test in tests:
            # A test file that does not load fails the check; its own bytes are the input then.
            with contextlib.suppress(MonitoringError):
                loaded.extend(load_rule_test(test).rule_files)
        runbook = [ctx.path(params.runbook)] if params.runbook else []
        # The patterns as well as their matches: a new file matching a glob is a changed input.
        paths = (*params.files, *params.tests, *map(str, (*files, *tests, *loaded, *runbook)))
        return Inputs(paths=paths, tools=("promtool",))

    async def run(self, params: PrometheusRulesParams, ctx: CheckContext) -> Outcome:
        """Run promtool, read the rules and the tests, then look the selectors up."""
        patterns = [ctx.resolve(f) for f in params.files]
        files = expand(patterns, ctx.workdir)
        test_files = expand([ctx.resolve(t) for t in params.tests], ctx.workdir)
        runbook = [ctx.path(params.runbook)] if params.runbook else []
        mistake = (
            spec_paths_problem("files", files, ctx.workdir)
            or spec_paths_problem("tests", test_files, ctx.workdir)
            or spec_paths_problem("runbook", runbook, ctx.workdir, file="runbook.md")
        )
        if mistake:
            return no_data(mistake)
        if not files:
            return findings_outcome(
                Findings(problems=[f"no rule file matches {', '.join(params.files)}"]), passed=""
            )
        promtool = tool("promtool")
        shown = " ".join(shlex.quote(relative(f, ctx.workdir)) for f in files)
        reproducer = f"cd {ctx.workdir} && promtool check rules {shown}"
        result = await ctx.run([promtool, "check", "rules", *map(str, files)])
        if result.returncode != 0:
            return tool_failed("promtool check rules", result, reproducer)
        contents, found = _read_rules(files)
        empty = _nothing_to_judge(contents, ctx.workdir)
        if empty:
            return no_data(empty)
        alerts = [a for c in contents for a in c.alerts]
        tests = await _run_rule_tests(params, ctx, promtool, test_files)
        if tests.failure:
            found.problem(tests.failure)
        found.extend(metadata_findings(params, ctx, alerts))
        found.extend(tests.found)
        coverage, tested_clause = coverage_findings(params, ctx, alerts, tests.fires, bool(test_files))
        found.extend(coverage)
        series = await _series(params, ctx, contents)
        if series is not None:
            found.extend(series.found)
        return findings_outcome(
            found,
            passed=_summary(params, contents, tested_clause, series, ctx.workdir),
            reproducer=reproducer + tests.reproducer,
            extra_evidence=tests.output,
        )


def _read_rules(files: list[Path]) -> tuple[list[RuleFileContent], Findings]:
    contents: list[RuleFileContent] = []
    found = Findings()
    for path in files:
        try:
            contents.append(load_rules(path))
        except MonitoringError as exc:
            found.problem(str(exc))
    return contents, found


def _nothing_to_judge(contents: list[RuleFileContent], workdir: Path) -> str:
    """The no-data reason (with the fix) when the files hold no alerting rule at all."""
    if any(c.alerts for c in contents):
        return ""
    names = ", ".join(relative(c.path, workdir) for c in contents)
    records = sum(len(c.records) for c in contents)
    if records:
        return (
            f"{names} hold(s) {records} recording rule(s) but no alerting rule: nothing here can "
            "page anyone. Add alerting rules, or point `files` at the files that hold them."
        )
    return (
        f"{names} hold(s) no rules (no groups, or only empty groups): nothing to judge. Write the "
        "alerting rules (`golive init monitoring` drafts them), or point `files` at the rule files."
    )


async def _run_rule_tests(
    params: PrometheusRulesParams, ctx: CheckContext, promtool: str, tests: list[Path]
) -> _RuleTests:
    """Read which alerts the test files expect to fire, then run them with promtool."""
    run = _RuleTests()
    for test in tests:
        try:
            run.files.append(load_rule_test(test))
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


def _watched(contents: list[RuleFileContent], workdir: Path) -> list[WatchedRule]:
    rules = []
    for content in contents:
        for alert in content.alerts:
            where = describe_location(alert, workdir)
            rules.append(WatchedRule(where=where, name=alert.name, kind="alert", expr=alert.expr))
        for record in content.records:
            where = describe_location(record, workdir)
            rules.append(WatchedRule(where=where, name=record.name, kind="record", expr=record.expr))
    return rules


async def _source(params: PrometheusRulesParams, ctx: CheckContext, check: str) -> SeriesSource | None:
    """Where the series are looked up (None: not checked, and the summary says so)."""
    mode = params.series
    if mode == "off":
        return None
    if mode == "prometheus" or (mode == "auto" and ctx.environment.prometheus_url):
        api = prometheus(ctx, check)
        source = PrometheusSeries(api, lookback=params.series_lookback, settle=params.settle)
        await source.load_targets()
        return source
    url = ctx.url(params.metrics_path)
    ctx.require_target(url, what="a metrics scrape")
    try:
        response = await ctx.http.get(url, timeout=ctx.timeout)
    except Exception as exc:  # noqa: BLE001 - httpx raises many kinds; all mean "unreadable"
        raise CheckError(f"cannot read the service's metrics at {url}: {exc!r}") from None
    if response.status_code != 200:
        raise CheckError(f"cannot read the service's metrics at {url}: HTTP {response.status_code}")
    return ExpositionSeries(url, response.text)


async def _series(
    params: PrometheusRulesParams, ctx: CheckContext, contents: list[RuleFileContent]
) -> SeriesReport | None:
    try:
        source = await _source(params, ctx, PrometheusRulesCheck.name)
        if source is None:
            return None
        return await verify_rules(_watched(contents, ctx.workdir), source, set(params.failure_only))
    except PrometheusError as exc:
        raise CheckError(f"cannot look the rules' series up: {exc}") from None
    except MonitoringError as exc:
        raise CheckError(f"cannot check the rules' selectors: {exc}") from None


def _summary(
    params: PrometheusRulesParams,
    contents: list[RuleFileContent],
    tested: str,
    series: SeriesReport | None,
    workdir: Path,
) -> str:
    alerts = sum(len(c.alerts) for c in contents)
    records = sum(len(c.records) for c in contents)
    parts = [
        f"{alerts} alert(s) and {records} recording rule(s) in {len(contents)} file(s) pass promtool "
        f"check rules; every alert has a known {params.severity_label}"
        + "".join(f", {a}" for a in params.required_annotations)
        + (f" (runbook anchors are headings of {params.runbook})" if params.runbook else ""),
        tested,
    ]
    empty = [relative(c.path, workdir) for c in contents if c.empty]
    if empty:
        parts.append(f"empty rule file(s): {listing(empty)}")
    if series is None:
        parts.append(f"selectors NOT checked against live series (series: {params.series})")
    else:
        parts.append(series.summary())
    return "; ".join(parts)
