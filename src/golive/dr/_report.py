"""What a drill found: the report, its artifacts (drill.json, drill.md) and the verdict."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.dr._timeline import StepRecord
from golive.dr.base import DrError
from golive.kit.files import atomic_write
from golive.kit.text import excerpt, redact
from golive.results import Evidence, Measurement, Outcome, Status

__all__ = [
    "REPORT_NAME",
    "DrillReport",
    "drill_outcome",
    "load_report",
    "render_timeline",
    "write_artifacts",
]

#: The machine-readable report in the drill criterion's artifacts (read by dr.restore_time_estimate).
REPORT_NAME = "drill.json"


@dataclass(frozen=True, kw_only=True)
class DrillReport:
    """What a drill found; ``problems`` empty means the drill passed."""

    drill_id: str
    kind: str
    started_at: str
    steps: tuple[StepRecord, ...]
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    rto_s: float | None
    rpo_s: float | None
    rto_target_s: float | None
    rpo_target_s: float | None
    backup_bytes: int
    database_bytes: int
    restore_s: float
    verify_s: float
    tables: int
    rows: int
    markers_written: int
    newest_marker_before_loss: int | None
    newest_marker_restored: int | None
    revision: str | None
    scratch_database: str = ""
    interrupted: bool = False
    #: ``scratch`` or ``in_place`` (the service's own database was lost and recovered).
    recovery: str = "scratch"

    @property
    def restore_bytes_per_s(self) -> float:
        """Restored database bytes per second of restore."""
        return self.database_bytes / self.restore_s if self.restore_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (read back by ``dr.restore_time_estimate``)."""
        data = dataclasses.asdict(self)
        data["restore_bytes_per_s"] = self.restore_bytes_per_s
        data["overhead_s"] = (self.rto_s - self.restore_s) if self.rto_s is not None else None
        return data


def render_timeline(report: DrillReport) -> str:
    """The drill's steps as a fixed-width table (the evidence excerpt)."""
    lines = [f"{'t+s':>7}  {'took':>7}  {'':2}step"]
    for s in report.steps:
        mark = "ok" if s.ok else "!!"
        lines.append(f"{s.started_s:7.2f}  {s.duration_s:6.2f}s  {mark}  {s.name}: {s.detail}")
    return "\n".join(lines)


def write_artifacts(report: DrillReport, directory: Path) -> tuple[str, ...]:
    """Write drill.json and drill.md; return their paths (and the restored service's log)."""
    atomic_write(directory / REPORT_NAME, json.dumps(report.to_json(), indent=2, default=str) + "\n")
    md = [
        f"# Recovery drill {report.drill_id} ({report.kind})",
        "",
        f"Started {report.started_at}. RTO {_fmt(report.rto_s)} (objective {_fmt(report.rto_target_s)}), "
        f"RPO {_fmt(report.rpo_s)} (objective {_fmt(report.rpo_target_s)}).",
        "",
        "| t+s | took | ok | step | detail |",
        "|---:|---:|:-:|---|---|",
    ]
    for s in report.steps:
        detail = redact(s.detail).replace("|", "\\|").replace("\n", " ")
        md.append(
            f"| {s.started_s:.2f} | {s.duration_s:.2f}s | {'✓' if s.ok else '✗'} | {s.name} | {detail} |"
        )
    md += ["", "## Findings", ""]
    md += [f"- ✗ {p}" for p in report.problems] or [
        "- none: the restored copy matches the source at backup time"
    ]
    md += [f"- note: {n}" for n in report.notes]
    atomic_write(directory / "drill.md", "\n".join(md) + "\n")
    paths = [directory / REPORT_NAME, directory / "drill.md"]
    if (directory / "restored-service.log").exists():
        paths.append(directory / "restored-service.log")
    return tuple(str(p) for p in paths)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}s"


def load_report(path: Path) -> dict[str, Any]:
    """Read a drill.json written by :func:`write_artifacts`."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DrError(f"cannot read drill results {path}: {exc}") from None
    if not isinstance(data, dict):
        raise DrError(f"{path} is not a drill result")
    return data


def _measurements(report: DrillReport) -> list[Measurement]:
    measurements = []
    if report.rto_s is not None:
        target = f"<= {report.rto_target_s:g}s" if report.rto_target_s is not None else None
        measurements.append(Measurement(name="rto", value=round(report.rto_s, 3), unit="s", target=target))
    if report.rpo_s is not None:
        target = f"<= {report.rpo_target_s:g}s" if report.rpo_target_s is not None else None
        measurements.append(Measurement(name="rpo", value=round(report.rpo_s, 3), unit="s", target=target))
    for s in report.steps:
        if s.name in ("backup", "restore"):
            measurements.append(Measurement(name=f"{s.name}_time", value=round(s.duration_s, 3), unit="s"))
    return [
        *measurements,
        Measurement(name="verify_time", value=round(report.verify_s, 3), unit="s"),
        Measurement(name="backup_size", value=report.backup_bytes, unit="B"),
        Measurement(name="database_size", value=report.database_bytes, unit="B"),
        Measurement(name="restore_throughput", value=round(report.restore_bytes_per_s / 1e6, 3), unit="MB/s"),
        Measurement(name="rows_verified", value=report.rows),
    ]


def drill_outcome(
    report: DrillReport, stale: list[str], artifacts: tuple[str, ...], reproducer: str
) -> Outcome:
    """Judge a drill report: pass only with a verified restore within the objectives."""
    problems = [*report.problems, *stale]
    findings = "\n".join([*(f"✗ {p}" for p in problems), *(f"note: {n}" for n in report.notes)])
    evidence = Evidence(
        excerpt=excerpt(render_timeline(report) + ("\n\n" + findings if findings else ""), 6000),
        artifacts=artifacts,
    )
    rto = "n/a" if report.rto_s is None else f"{report.rto_s:.1f}s"
    rpo = "n/a" if report.rpo_s is None else f"{report.rpo_s:.1f}s"
    objectives = (
        f"RTO {rto} (objective {_obj(report.rto_target_s)}), "
        f"RPO {rpo} (objective {_obj(report.rpo_target_s)})"
    )
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        status, summary = Status.FAIL, f"{problems[0]}{more}; {objectives}"
    else:
        status = Status.PASS
        data = f"{report.tables} tables / {report.rows} rows, checksums equal to the source at backup time"
        if report.recovery == "in_place":
            summary = (
                f"lost the service's database and recovered it in place ({data}), the service answering; "
                f"{objectives}"
            )
        else:
            summary = f"restored {data} into a scratch database, a fresh instance answering; {objectives}"
    return Outcome(
        status=status,
        summary=summary,
        measurements=tuple(_measurements(report)),
        evidence=evidence,
        reproducer=reproducer,
    )


def _obj(value: float | None) -> str:
    return "none" if value is None else f"{value:g}s"
