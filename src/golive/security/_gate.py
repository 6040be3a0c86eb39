"""What every security check does after scanning: merge, apply the baseline, write, judge.

A scanner check hands its tool runs to :func:`judge`, which de-duplicates the findings,
suppresses the accepted ones, writes ``findings.json``, ``findings.sarif`` and
``findings.md`` to the artifacts directory, and fails when an unwaived finding reaches the
gate (``fail_on``). When no scanner could run at all the criterion is ``skipped``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from golive.kit.check import CheckContext, CheckError
from golive.kit.files import atomic_write
from golive.kit.text import excerpt, redact
from golive.results import Evidence, Measurement, Outcome, Status
from golive.security._coverage import CoverageVerdict, judge_coverage
from golive.security._params import GateParams, ScanParams
from golive.security.base import RunState, Scanner, SecurityError, Severity, ToolRun
from golive.security.baseline import load_baseline
from golive.security.findings import FindingsReport, build_report
from golive.security.render import dumps, render_markdown, render_text, summary_line
from golive.security.sarif import repo_prefix, to_sarif


def scan_root(params: ScanParams, ctx: CheckContext) -> Path:
    """The directory a scanner check scans; CheckError when it is not one."""
    root = ctx.path(params.path)
    if not root.is_dir():
        raise CheckError(f"{params.path} is not a directory")
    return root


async def scan_all(scanners: Sequence[Scanner], root: Path, ctx: CheckContext) -> list[ToolRun]:
    """Run the scanners concurrently; one tool run each, in order."""
    return list(await asyncio.gather(*(s.scan(root, ctx) for s in scanners)))


def write_artifacts(
    ctx: CheckContext, report: FindingsReport, threshold: Severity, root: Path | None
) -> list[str]:
    """Write ``findings.json``, ``.sarif`` and ``.md`` to the artifacts directory; their paths."""
    files = {
        "findings.json": dumps(report),
        "findings.sarif": json.dumps(to_sarif(report, prefix=repo_prefix(root) if root else ""), indent=2)
        + "\n",
        "findings.md": render_markdown(report, threshold),
    }
    written = []
    for name, text in files.items():
        atomic_write(ctx.artifacts_dir / name, text)
        written.append(str(ctx.artifacts_dir / name))
    return written


def _summary(
    report: FindingsReport, runs: Sequence[ToolRun], params: GateParams, coverage: CoverageVerdict
) -> str:
    summary = summary_line(report, params.fail_on)
    skipped = [f"{r.tool} skipped" for r in runs if r.state is not RunState.RAN]
    if skipped:
        summary += f" ({', '.join(skipped)})"
    if coverage.lines:
        summary += f"; {', '.join(coverage.lines)}"
    if report.warnings:
        summary += f"; {len(report.warnings)} warning(s)"
    blocking = report.blocking(params.fail_on)
    if blocking:
        top = blocking[0]
        summary = f"{summary}; e.g. {top.severity.value}: {top.title} at {top.location}"
    if coverage.problems:
        summary = f"incomplete scan: {'; '.join(coverage.problems)}; {summary}"
    return redact(summary)


def judge(
    ctx: CheckContext,
    params: GateParams,
    runs: Sequence[ToolRun],
    *,
    target: str,
    root: Path | None,
    warnings: Sequence[str] = (),
    extra_artifacts: Sequence[str] = (),
    extra_measurements: Sequence[Measurement] = (),
    notes: str = "",
) -> Outcome:
    """Merge, apply the baseline, write the artifacts and judge the gate.

    ``root`` (the scanned directory) makes SARIF paths repository-relative; ``notes`` lead the
    evidence excerpt.
    """
    try:
        entries = load_baseline(ctx.path(params.baseline))
    except SecurityError as exc:
        raise CheckError(str(exc)) from None
    coverage = judge_coverage(runs, params.min_coverage if isinstance(params, ScanParams) else 100.0)
    report = build_report(
        runs, entries, warnings=[*warnings, *coverage.warnings], target=target, today=date.today()
    )
    artifacts = [*extra_artifacts, *write_artifacts(ctx, report, params.fail_on, root)]
    measurements = (
        *(Measurement(name=f"findings_{s.value}", value=n) for s, n in report.counts().items()),
        Measurement(name="findings_suppressed", value=len(report.suppressed)),
        *coverage.measurements,
        *extra_measurements,
    )
    reproducer = redact(" && ".join(r.command for r in runs if r.command))
    text = "\n".join([*coverage.problems, render_text(report, params.fail_on)])
    evidence = Evidence(excerpt=excerpt(f"{notes}\n{text}" if notes else text), artifacts=tuple(artifacts))
    if not any(r.state is RunState.RAN for r in runs):
        reasons = "; ".join(f"{r.tool}: {r.reason}" for r in runs)
        return Outcome(
            status=Status.SKIPPED,
            summary=f"no scanner could run ({reasons})",
            evidence=evidence,
            reproducer=reproducer,
        )
    return Outcome(
        status=Status.FAIL if report.blocking(params.fail_on) or coverage.problems else Status.PASS,
        summary=_summary(report, runs, params, coverage),
        measurements=measurements,
        evidence=evidence,
        reproducer=reproducer,
    )
