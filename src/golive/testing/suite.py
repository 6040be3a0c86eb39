"""``tests.suite``: run a test suite, read its JUnit XML and judge it.

Works with any runner that writes JUnit XML. For pytest golive adds ``--junitxml`` and
its small ``golive_pytest_props`` plugin, which records each test's markers in the XML so
that ``critical_marker: critical`` selects ``@pytest.mark.critical`` tests. Failed tests
are re-run ``retries`` times (pytest: only the failed ones, via ``--lf``); a test that
passes only on a re-run is reported as flaky.
"""

from __future__ import annotations

import os
import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from golive.kit.check import CheckContext, Inputs
from golive.kit.outcomes import Findings
from golive.kit.processes import ProcessResult
from golive.kit.text import excerpt, redact
from golive.results import Evidence, Measurement, Outcome, Status
from golive.spec._duration import format_duration
from golive.testing._inputs import suite_inputs
from golive.testing._junit import TestCaseResult, Verdict, is_critical, read_junit
from golive.testing._params import SuiteParams, is_pytest
from golive.testing._util import append_args, pct, resolve_command

PLUGIN_DIR = Path(__file__).resolve().parent / "_pytest_plugin"
PLUGIN = "golive_pytest_props"


@dataclass(frozen=True, kw_only=True)
class _Run:
    process: ProcessResult
    cases: tuple[TestCaseResult, ...]
    files: tuple[Path, ...]


@dataclass(frozen=True, kw_only=True)
class SuiteVerdict:
    """Merged view of the first run and its retries."""

    cases: tuple[TestCaseResult, ...]
    flaky: tuple[TestCaseResult, ...]


def merge_retries(
    first: tuple[TestCaseResult, ...], retries: list[tuple[TestCaseResult, ...]]
) -> SuiteVerdict:
    """Final results: a failed test that passed in any retry counts as passed and flaky."""
    passed_later = {c.id for run in retries for c in run if c.verdict is Verdict.PASSED}
    final: list[TestCaseResult] = []
    flaky: list[TestCaseResult] = []
    for case in first:
        if case.verdict in (Verdict.FAILED, Verdict.ERROR) and case.id in passed_later:
            flaky.append(case)
            final.append(
                TestCaseResult(
                    classname=case.classname,
                    name=case.name,
                    verdict=Verdict.PASSED,
                    time_s=case.time_s,
                    message=f"flaky: passed on retry after: {case.message}",
                    markers=case.markers,
                    rerun_arg=case.rerun_arg,
                )
            )
        else:
            final.append(case)
    return SuiteVerdict(cases=tuple(final), flaky=tuple(flaky))


class SuiteCheck:
    """Run a test suite and judge pass rate, critical tests, size, skips, time and flakiness."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

    name: ClassVar[str] = "tests.suite"
    description: ClassVar[str] = (
        "Run a test suite (JUnit XML): pass rate, 100% of critical tests, size, time, flaky tests."
    )
    Params: ClassVar[type[SuiteParams]] = SuiteParams
    #: Judges the tree with a named interpreter and packages, never the running system (its
    #: criteria run on their own fixtures): its verdict can be reused. See :mod:`golive.testing._inputs`.
    reusable: ClassVar[bool] = True

    async def inputs(self, params: SuiteParams, ctx: CheckContext) -> Inputs:
        """The service's tree, the interpreter and its packages, and the reports the run writes."""
        return await suite_inputs(params, ctx)

    async def run(self, params: SuiteParams, ctx: CheckContext) -> Outcome:
        """Run the suite (and retries), then judge the merged JUnit results."""
        command = resolve_command(ctx, params.command)
        cwd = ctx.path(params.cwd) if params.cwd else ctx.workdir
        pytest = params.runner == "pytest" or (params.runner == "auto" and is_pytest(command))
        env = {k: ctx.resolve(v) for k, v in params.env.items()}
        if pytest:
            inherited = env.get("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PLUGIN_DIR), inherited) if p)
        ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
        # Finish a little before the engine's own timeout so the report says what ran.
        deadline = time.monotonic() + max(1.0, ctx.timeout - 2.0)

        async def attempt(n: int, args: list[str]) -> _Run:
            if pytest:
                junit = ctx.artifacts_dir / f"junit-{n}.xml"
                junit.unlink(missing_ok=True)
                argv = append_args(command, [*args, f"--junitxml={junit}", "-p", PLUGIN])
            else:
                argv = append_args(command, args)
            started = time.time()
            remaining = max(1.0, deadline - time.monotonic())
            proc = await ctx.run(argv, shell=params.shell, cwd=cwd, env=env, timeout=remaining)
            log = ctx.artifacts_dir / f"output-{n}.log"
            log.write_text(redact(proc.stdout + ("\n" + proc.stderr if proc.stderr else "")))
            if pytest:
                files: tuple[Path, ...] = (junit,) if junit.exists() else ()
            else:
                files = _fresh_reports(cwd, str(params.junit), started)
            cases = read_junit(files) if files and not proc.timed_out else ()
            return _Run(process=proc, cases=cases, files=(*files, log))

        first = await attempt(0, [])
        reproducer = redact(f"cd {shlex.quote(str(cwd))} && {first.process.command_line}")
        artifacts = [str(p) for p in first.files]
        output = first.process.stdout + ("\n" + first.process.stderr if first.process.stderr else "")
        if first.process.timed_out:
            return Outcome(
                status=Status.ERROR,
                summary=f"test run did not finish within {ctx.timeout:g}s; its process group was killed",
                measurements=(
                    Measurement(name="duration", value=round(first.process.duration_s, 3), unit="s"),
                ),
                evidence=Evidence(excerpt=excerpt(output), artifacts=tuple(artifacts)),
                reproducer=reproducer,
            )
        if not first.files[:-1]:
            return Outcome(
                status=Status.ERROR,
                summary=f"the test command (exit {first.process.returncode}) wrote no JUnit XML"
                + (f" at {params.junit}" if params.junit else ""),
                evidence=Evidence(excerpt=excerpt(output), artifacts=tuple(artifacts)),
                reproducer=reproducer,
            )
        retry_runs: list[tuple[TestCaseResult, ...]] = []
        failing = {c.id for c in first.cases if c.verdict in (Verdict.FAILED, Verdict.ERROR)}
        for n in range(1, params.retries + 1):
            if not failing or time.monotonic() >= deadline:
                break
            again = await attempt(n, ["--lf", "--last-failed-no-failures", "none"] if pytest else [])
            artifacts.extend(str(p) for p in again.files)
            retry_runs.append(again.cases)
            failing -= {c.id for c in again.cases if c.verdict is Verdict.PASSED}
        verdict = merge_retries(first.cases, retry_runs)
        return judge(params, verdict, first.process, reproducer, tuple(artifacts), output)


def _fresh_reports(cwd: Path, pattern: str, since: float) -> tuple[Path, ...]:
    """Report files matching ``pattern`` written by this run (older ones are stale)."""
    base = Path(pattern)
    if base.is_absolute():
        matches = sorted(Path(base.anchor).glob(str(base.relative_to(base.anchor))))
    else:
        matches = sorted(cwd.glob(pattern))
    return tuple(p for p in matches if p.is_file() and p.stat().st_mtime >= since - 1.0)


def _line(case: TestCaseResult) -> str:
    first = (case.message.splitlines() or [""])[0][:300]
    return f"{case.verdict.value.upper()} {case.id}" + (f" - {first}" if first else "")


@dataclass(frozen=True, kw_only=True)
class _Tally:
    """The merged results counted the ways the params judge them."""

    cases: tuple[TestCaseResult, ...]
    ran: list[TestCaseResult]
    passed: list[TestCaseResult]
    failed: list[TestCaseResult]
    skipped: list[TestCaseResult]
    selector: bool
    critical: list[TestCaseResult]
    min_critical: int

    @classmethod
    def of(cls, params: SuiteParams, verdict: SuiteVerdict) -> _Tally:
        """Count ``verdict`` for ``params``."""
        pattern = re.compile(params.critical_pattern) if params.critical_pattern else None
        selector = params.critical_marker is not None or pattern is not None
        cases = verdict.cases
        ran = [c for c in cases if c.verdict is not Verdict.SKIPPED]
        return cls(
            cases=cases,
            ran=ran,
            passed=[c for c in ran if c.verdict is Verdict.PASSED],
            failed=[c for c in ran if c.verdict is not Verdict.PASSED],
            skipped=[c for c in cases if c.verdict is Verdict.SKIPPED],
            selector=selector,
            critical=[c for c in cases if is_critical(c, params.critical_marker, pattern)]
            if selector
            else [],
            min_critical=params.min_critical if params.min_critical is not None else (1 if selector else 0),
        )

    def critical_with(self, *verdicts: Verdict) -> list[TestCaseResult]:
        """Critical tests with one of ``verdicts``."""
        return [c for c in self.critical if c.verdict in verdicts]

    @property
    def rate(self) -> float:
        """Pass rate of the tests that ran, in percent."""
        return pct(len(self.passed), len(self.ran))


def _problems(params: SuiteParams, tally: _Tally, verdict: SuiteVerdict, process: ProcessResult) -> Findings:
    found = Findings()
    if len(tally.cases) < params.min_tests:
        found.problem(f"{len(tally.cases)} tests, at least {params.min_tests} required")
    if tally.rate < params.min_pass_rate:
        found.problem(f"pass rate {tally.rate:g}% < {params.min_pass_rate:g}% ({len(tally.failed)} failed)")
    if tally.selector and len(tally.critical) < tally.min_critical:
        what = (
            f"marker {params.critical_marker!r}" if params.critical_marker else f"/{params.critical_pattern}/"
        )
        found.problem(
            f"{len(tally.critical)} critical tests ({what}), at least {tally.min_critical} required"
        )
    crit_failed = tally.critical_with(Verdict.FAILED, Verdict.ERROR)
    if crit_failed:
        found.problem(f"{len(crit_failed)} of {len(tally.critical)} critical tests failed")
    crit_skipped = tally.critical_with(Verdict.SKIPPED)
    if crit_skipped and not params.allow_skipped_critical:
        found.problem(f"{len(crit_skipped)} critical tests skipped")
    if params.max_duration is not None and process.duration_s > params.max_duration:
        took, budget = format_duration(process.duration_s), format_duration(params.max_duration)
        found.problem(f"took {took} > budget {budget}")
    if verdict.flaky and params.fail_on_flaky:
        found.problem(f"{len(verdict.flaky)} flaky tests (passed only on retry)")
    if params.expect_exit is not None and process.returncode != params.expect_exit:
        found.problem(f"exit code {process.returncode}, expected {params.expect_exit}")
    return found


def _measure(
    found: Findings, params: SuiteParams, tally: _Tally, verdict: SuiteVerdict, duration_s: float
) -> None:
    found.measure("tests", len(tally.cases), target=f">= {params.min_tests}")
    found.measure("passed", len(tally.passed))
    found.measure("failed", len(tally.failed))
    found.measure("skipped", len(tally.skipped))
    found.measure("pass_rate", tally.rate, "%", target=f">= {params.min_pass_rate:g}")
    if tally.selector:
        crit_passed = tally.critical_with(Verdict.PASSED)
        found.measure("critical", len(tally.critical), target=f">= {tally.min_critical}")
        found.measure(
            "critical_pass_rate",
            pct(len(crit_passed), len(tally.critical)) if tally.critical else 0.0,
            "%",
            target="100",
        )
    if params.retries:
        found.measure("flaky", len(verdict.flaky))
    budget = f"<= {params.max_duration:g}" if params.max_duration is not None else None
    found.measure("duration", round(duration_s, 3), "s", target=budget)


def _failure_text(tally: _Tally, verdict: SuiteVerdict, output: str) -> str:
    """Failed, flaky and skipped critical tests, how to re-run them, and the first details."""
    lines = [_line(c) for c in tally.failed]
    lines += [
        f"FLAKY {c.id} - failed first: {(c.message.splitlines() or [''])[0][:200]}" for c in verdict.flaky
    ]
    lines += [f"SKIPPED (critical) {c.id} - {c.message[:200]}" for c in tally.critical_with(Verdict.SKIPPED)]
    rerun = [c.rerun_arg for c in tally.failed if c.rerun_arg]
    text = "\n".join(lines)
    if rerun:
        text += "\n\nre-run the failures: pytest " + " ".join(shlex.quote(a) for a in rerun[:20])
    details = "\n\n".join(f"--- {c.id}\n{c.details[:1500]}" for c in tally.failed[:5] if c.details)
    return "\n\n".join(t for t in (text, details) if t) or output


def judge(
    params: SuiteParams,
    verdict: SuiteVerdict,
    process: ProcessResult,
    reproducer: str,
    artifacts: tuple[str, ...],
    output: str,
) -> Outcome:
    """Compare merged results with the params' requirements."""
    tally = _Tally.of(params, verdict)
    found = _problems(params, tally, verdict, process)
    _measure(found, params, tally, verdict, process.duration_s)
    crit_text = (
        f", critical {len(tally.critical_with(Verdict.PASSED))}/{len(tally.critical)}"
        if tally.selector
        else ""
    )
    flaky_text = f", {len(verdict.flaky)} flaky" if verdict.flaky else ""
    measured = (
        f"{len(tally.passed)}/{len(tally.ran)} passed ({tally.rate:g}%){crit_text}, "
        f"{len(tally.skipped)} skipped{flaky_text} in {format_duration(process.duration_s)}"
    )
    return Outcome(
        status=Status.FAIL if found.problems else Status.PASS,
        summary=("; ".join(found.problems) + f" - {measured}") if found.problems else measured,
        measurements=tuple(found.measurements),
        evidence=Evidence(excerpt=excerpt(_failure_text(tally, verdict, output), 6000), artifacts=artifacts),
        reproducer=reproducer,
    )
