"""The record of one deploy or rollback: what was decided, measured and done, as data and Markdown."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from golive._serialize import to_jsonable
from golive.deploy.analysis import AnalysisResult
from golive.deploy.base import DeployOutcome, Release
from golive.kit.files import atomic_write


@dataclass(frozen=True, kw_only=True)
class GateResult:
    """One pre-deploy gate's verdict."""

    name: str
    passed: bool
    detail: str
    skipped: bool = False


@dataclass(frozen=True, kw_only=True)
class DeployReport:
    """Everything about one deploy (or manual rollback), stored as the history's report JSON."""

    service: str
    environment: str
    release: Release
    strategy: str
    driver: str
    actor: str
    started_at: datetime
    finished_at: datetime
    outcome: DeployOutcome
    reason: str
    """Why it ended as it did, in one line."""
    previous: Release | None = None
    gates: tuple[GateResult, ...] = ()
    analyses: tuple[AnalysisResult, ...] = ()
    plan: tuple[str, ...] = ()
    log: tuple[str, ...] = ()
    time_to_detect_s: float | None = None
    """From the new version getting traffic (or being deployed) to the failed verdict."""
    time_to_rollback_s: float | None = None
    """From the failed verdict (or the stop) to the rollback being verified."""
    rollback_verified: bool | None = None
    deploy_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """Wall time."""
        return (self.finished_at - self.started_at).total_seconds()

    def to_json(self) -> str:
        """The report as JSON text (stored in the history)."""
        return json.dumps(to_jsonable(self), sort_keys=True)


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def render_markdown(report: DeployReport) -> str:
    """A Markdown deploy report: outcome, gates, analyses with every measurement, and the log."""
    r = report
    lines = [
        f"# Deploy of {r.service} {r.release.describe()} to {r.environment}: {r.outcome.value}",
        "",
        f"- **Outcome:** {r.outcome.value} - {r.reason}",
        f"- **Strategy:** {r.strategy} (driver `{r.driver}`)",
        f"- **Previous version:** {r.previous.describe() if r.previous else 'none'}",
        f"- **By:** {r.actor or 'unknown'}",
        f"- **Started:** {r.started_at.isoformat(timespec='seconds')}; took {r.duration_s:.1f}s",
        f"- **Time to detect:** {_secs(r.time_to_detect_s)}; "
        f"**time to roll back:** {_secs(r.time_to_rollback_s)}",
    ]
    if r.rollback_verified is not None:
        lines.append(f"- **Rollback verified:** {'yes' if r.rollback_verified else 'NO'}")
    if r.gates:
        lines += ["", "## Pre-deploy gates", "", "| gate | verdict | detail |", "|---|---|---|"]
        for g in r.gates:
            verdict = "skipped" if g.skipped else ("pass" if g.passed else "**FAIL**")
            lines.append(f"| {g.name} | {verdict} | {g.detail.replace('|', '/')} |")
    if r.plan:
        lines += ["", "## Plan", ""] + [f"1. `{p}`" for p in r.plan]
    for a in r.analyses:
        lines += [
            "",
            f"## Analysis: {a.phase} ({a.provider}) - {'passed' if a.passed else 'FAILED'}",
            "",
            a.verdict,
            "",
            "| # | t | metric | value | verdict | query |",
            "|---|---|---|---|---|---|",
        ]
        for m in a.measurements:
            for rd in m.readings:
                value = "no data" if rd.value is None else f"{rd.value:.2f}{rd.unit}"
                mark = "ok" if rd.passed else "**fail**"
                lines.append(
                    f"| {m.index} | {m.elapsed_s:.1f}s | {rd.metric} | {value} | {mark}: {rd.reason} "
                    f"| `{rd.query.replace('|', '/')}` |"
                )
    if r.log:
        lines += ["", "## Log", "", "```"] + list(r.log) + ["```"]
    return "\n".join(lines) + "\n"


def write_report(report: DeployReport, directory: Path) -> list[Path]:
    """Write ``<env>-<version>-<time>.md`` and ``.json`` into ``directory``; return the paths."""
    stamp = report.started_at.strftime("%Y%m%dT%H%M%S")
    safe_version = "".join(c if c.isalnum() or c in ".-_" else "_" for c in report.release.version)
    # Not with_suffix: a version like 1.1.0 would have its ".0-..." taken for a suffix.
    base = f"{report.environment}-{safe_version}-{stamp}"
    md, js = directory / f"{base}.md", directory / f"{base}.json"
    atomic_write(md, render_markdown(report))
    atomic_write(js, report.to_json())
    return [md, js]
