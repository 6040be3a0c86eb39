"""``tests.coverage``: line and branch coverage from a Cobertura report, against thresholds."""

from __future__ import annotations

import math
import shlex
import time
from pathlib import Path
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError, Inputs
from golive.kit.outcomes import Findings, error
from golive.kit.text import excerpt, redact
from golive.results import Evidence, Outcome
from golive.spec._duration import format_duration
from golive.testing._cobertura import CoverageReport, Totals, read_cobertura
from golive.testing._inputs import coverage_inputs
from golive.testing._params import CoverageParams
from golive.testing._util import resolve_command
from golive.testing.base import TestingError


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{math.floor(value * 100) / 100:g}%"


def _judge_totals(
    label: str, totals: Totals, min_line: float, min_branch: float | None
) -> tuple[str, Findings]:
    """One line describing ``totals`` and the findings of comparing them with the thresholds."""
    found = Findings()
    line, branch = totals.line_rate, totals.branch_rate
    prefix = "" if label == "overall" else f"{label} "
    found.measure(f"{prefix}line_coverage".strip(), round(line or 0.0, 2), "%", target=f">= {min_line:g}")
    if min_branch is not None or branch is not None:
        found.measure(
            f"{prefix}branch_coverage".strip(),
            round(branch or 0.0, 2),
            "%",
            target=f">= {min_branch:g}" if min_branch is not None else None,
        )
    if totals.lines_valid == 0:
        found.problem(f"{label}: no lines in the report")
    elif line is not None and line < min_line:
        found.problem(f"{label} line coverage {_fmt(line)} < {min_line:g}%")
    if min_branch is not None:
        if branch is None:
            found.problem(f"{label}: the report has no branch data (run with --cov-branch)")
        elif branch < min_branch:
            found.problem(f"{label} branch coverage {_fmt(branch)} < {min_branch:g}%")
    described = (
        f"{label}: lines {totals.lines_covered}/{totals.lines_valid} ({_fmt(line)}), "
        f"branches {totals.branches_covered}/{totals.branches_valid} ({_fmt(branch)})"
    )
    return described, found


def _judge_age(report: CoverageReport, path: Path, max_age: float) -> Findings:
    """A report older than ``max_age`` seconds is stale."""
    found = Findings()
    written = (report.timestamp_ms / 1000) if report.timestamp_ms else path.stat().st_mtime
    age = max(0.0, time.time() - written)
    found.measure("report_age", round(age, 1), "s", target=f"<= {max_age:g}")
    if age > max_age:
        found.problem(f"report is {format_duration(age)} old (max {format_duration(max_age)})")
    return found


class CoverageCheck:
    """Compare Cobertura line/branch coverage with thresholds, overall and per package."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True
    #: Reads a coverage report only: may run while a disruptive check runs.
    offline: ClassVar[bool] = True

    name: ClassVar[str] = "tests.coverage"
    description: ClassVar[str] = (
        "Line/branch coverage from Cobertura XML vs thresholds, overall and for critical packages."
    )
    Params: ClassVar[type[CoverageParams]] = CoverageParams
    #: Reads a report file only: its verdict can be reused while the report and its sources are unchanged.
    reusable: ClassVar[bool] = True

    def inputs(self, params: CoverageParams, ctx: CheckContext) -> Inputs:
        """The report and the source files it measures (not reusable with a ``command``)."""
        return coverage_inputs(params, ctx)

    async def run(self, params: CoverageParams, ctx: CheckContext) -> Outcome:
        """Optionally produce the report, then read and judge it."""
        path = ctx.path(params.report)
        reproducer = f"coverage report  # or open {shlex.quote(str(path))}"
        if params.command is not None:
            command = resolve_command(ctx, params.command)
            result = await ctx.run(command, shell=params.shell, cwd=ctx.workdir)
            reproducer = redact(f"cd {shlex.quote(str(ctx.workdir))} && {result.command_line}")
            if result.timed_out or result.returncode != 0:
                return error(
                    f"coverage command failed (exit {result.returncode})",
                    evidence=Evidence(excerpt=excerpt(result.stdout + "\n" + result.stderr)),
                    reproducer=reproducer,
                )
        if not path.is_file():
            raise CheckError(f"coverage report {path} not found (run the tests with coverage first)")
        try:
            report = read_cobertura(path)
        except TestingError as exc:
            raise CheckError(str(exc)) from exc
        found = Findings()
        lines: list[str] = []
        targets = [("overall", report.totals, params.min_line, params.min_branch)]
        targets += [
            (
                pkg.name,
                report.select(pkg.name),
                pkg.min_line if pkg.min_line is not None else params.min_line,
                pkg.min_branch if pkg.min_branch is not None else params.min_branch,
            )
            for pkg in params.packages
        ]
        for label, totals, min_line, min_branch in targets:
            described, findings = _judge_totals(label, totals, min_line, min_branch)
            lines.append(described)
            found.extend(findings)
        if params.max_age is not None:
            found.extend(_judge_age(report, path, params.max_age))
        return found.outcome(
            passed=f"coverage meets thresholds - {lines[0]}",
            evidence=Evidence(excerpt="; ".join(lines), artifacts=(str(path),)),
            reproducer=reproducer,
            limit=len(found.problems),
        )
