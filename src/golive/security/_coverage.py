"""Judging what the scanners covered: every skipped item is reported, a short scan fails.

A scanner check is asked to analyse a known set of items (the files golive listed, the
packages the lock files declare, the commits of the history). Each tool run says how many it
covered and names what it missed (a file bandit could not parse, a workflow zizmor would not
load). :func:`judge_coverage` turns that into measurements, a warning per missed item, and a
problem whenever a coverage is below the check's ``min_coverage``: such a scan is not a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from golive.kit.text import redact
from golive.results import Measurement
from golive.security.base import Coverage, RunState, ToolRun

#: How many missed items a summary or warning names before it says "+N more".
NAMED = 10


@dataclass(kw_only=True)
class CoverageVerdict:
    """Measurements, warnings (every miss) and problems (a coverage below the threshold)."""

    measurements: list[Measurement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _named(cov: Coverage, limit: int = NAMED) -> str:
    shown = [f"{m.item} ({m.reason})" for m in cov.missed[:limit]]
    unnamed = (cov.asked - cov.scanned) - len(shown)
    if unnamed > 0:
        shown.append(f"+{unnamed} more")
    return "; ".join(shown)


def _percent(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def judge_coverage(runs: Sequence[ToolRun], min_coverage: float) -> CoverageVerdict:
    """What the runs covered, against ``min_coverage`` percent of what each was asked."""
    verdict = CoverageVerdict()
    for run in runs:
        if run.state is not RunState.RAN:
            continue
        for cov in run.coverage:
            prefix = f"{run.tool}_{cov.name}"
            verdict.measurements += [
                Measurement(name=f"{prefix}_asked", value=cov.asked),
                Measurement(name=f"{prefix}_scanned", value=cov.scanned),
                Measurement(
                    name=f"{prefix}_coverage",
                    value=round(cov.percent, 2),
                    unit="%",
                    target=f">= {_percent(min_coverage)}",
                ),
            ]
            what = f"{cov.label} {cov.unit}" if cov.label else cov.unit
            verdict.lines.append(f"{run.tool}: {cov.scanned} of {cov.asked} {what} analysed")
            short = cov.asked - cov.scanned
            if short > 0 or cov.missed:
                verdict.warnings.append(
                    redact(f"{run.tool} did not analyse {max(short, len(cov.missed))} {what}: {_named(cov)}")
                )
            if cov.incomplete:
                verdict.warnings.append(redact(f"{run.tool}: {what} incomplete: {cov.incomplete}"))
                verdict.problems.append(
                    redact(f"{run.tool} could not read every {what[:-1]}: {cov.incomplete}")
                )
            elif cov.percent < min_coverage:
                verdict.problems.append(
                    redact(
                        f"{run.tool} analysed {cov.scanned} of {cov.asked} {what} "
                        f"({_percent(cov.percent)}% < {_percent(min_coverage)}%): {_named(cov, 5)}"
                    )
                )
    return verdict
