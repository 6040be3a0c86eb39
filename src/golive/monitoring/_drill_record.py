"""What an ``alert.drill`` observed, and the verdict drawn from it.

The drill itself (:mod:`golive.monitoring._drill`) only records times on a
:class:`DrillRecord`; judging them against the targets, writing the timeline artifact and
wording the summary happen here, once the fault is gone.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from golive.kit.check import CheckContext
from golive.kit.files import FileWriteError, atomic_write
from golive.kit.outcomes import Findings
from golive.kit.text import excerpt
from golive.monitoring._params import DrillParams
from golive.monitoring._webhook import Notification
from golive.results import Evidence, Outcome, Status
from golive.spec._duration import format_duration


@dataclass(kw_only=True)
class DrillRecord:
    """Times (``time.monotonic()``) and events of one drill, and its timeline text."""

    start: float = field(default_factory=time.monotonic)
    #: When the fault was injected; every time is reported relative to it.
    t0: float | None = None
    detected: float | None = None
    pending_seen: bool = False
    notified: Notification | None = None
    resolved: float | None = None
    #: Answers of the drill's own traffic by class (``2xx``, ``5xx``, ``failed``).
    traffic: dict[str, int] = field(default_factory=dict)
    #: Problems of the drill itself (a fault that could not be removed).
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> float:
        """Add a timeline line stamped relative to the fault (or the start); return now."""
        now = time.monotonic()
        base = self.t0 if self.t0 is not None else self.start
        self.lines.append(f"{now - base:+8.2f}s  {text}")
        return now

    @property
    def origin(self) -> float:
        """The fault's injection time (the start when the fault was never injected)."""
        return self.t0 if self.t0 is not None else self.start


def _detection(params: DrillParams, record: DrillRecord) -> Findings:
    found = Findings()
    within = format_duration(params.detect_within)
    if record.detected is None:
        state = "stayed pending" if record.pending_seen else "never fired"
        found.problem(f"alert {params.alert} {state} in Prometheus within {within} of the fault")
        return found
    ttd = record.detected - record.origin
    found.measure("time_to_detect", round(ttd, 2), "s", f"<= {within}")
    if ttd > params.detect_within:
        found.problem(f"time-to-detect {ttd:.1f}s > {within}")
    return found


def _notification(params: DrillParams, ctx: CheckContext, record: DrillRecord) -> Findings:
    found = Findings()
    within = format_duration(params.notify_within)
    if record.notified is None:
        # The address the drill listened on, not the param's ${DRILL_WEBHOOK} text.
        found.problem(
            f"no notification for {params.alert} reached the webhook on {ctx.resolve(params.webhook)} "
            f"within {within} (check Alertmanager's route for its severity and that the "
            "receiver posts to the webhook)"
        )
        return found
    found.measure(
        "time_to_notify", round(record.notified.received_at - record.origin, 2), "s", f"<= {within}"
    )
    return found


def _resolution(params: DrillParams, record: DrillRecord) -> Findings:
    found = Findings()
    if params.resolve_within <= 0 or record.detected is None:
        return found
    within = format_duration(params.resolve_within)
    if record.resolved is None:
        found.problem(f"alert {params.alert} still active {within} after the fault was removed")
    else:
        value = round(record.resolved - record.origin, 2)
        found.measure("time_to_resolve", value, "s", f"<= {within} after removal")
    return found


def _write_timeline(
    params: DrillParams, ctx: CheckContext, record: DrillRecord, found: Findings
) -> tuple[str, ...]:
    """``drill-timeline.json`` in the artifacts directory; no artifact when it cannot be written."""
    path = Path(ctx.artifacts_dir) / "drill-timeline.json"
    data = {
        "alert": params.alert,
        "fault": params.fault.description,
        "timeline": record.lines,
        "measurements": {m.name: m.value for m in found.measurements},
    }
    with contextlib.suppress(FileWriteError):
        atomic_write(path, json.dumps(data, indent=2))
        return (str(path),)
    return ()


def _passed(params: DrillParams, record: DrillRecord) -> str:
    assert record.detected is not None and record.notified is not None  # no problems: both seen
    t0 = record.origin
    summary = (
        f"{params.alert} detected in {record.detected - t0:.1f}s "
        f"(<= {format_duration(params.detect_within)}), notified via "
        f"{record.notified.receiver!r} in {record.notified.received_at - t0:.1f}s "
        f"(<= {format_duration(params.notify_within)})"
    )
    if record.resolved is not None:
        return summary + f", resolved {record.resolved - t0:.1f}s after the fault; fault removed"
    return summary + "; fault removed"


def drill_outcome(params: DrillParams, ctx: CheckContext, record: DrillRecord, reproducer: str) -> Outcome:
    """Judge the recorded times against the targets; the timeline is the evidence."""
    # A fault left in place is the worst news of a drill: it is named first.
    found = Findings(problems=list(record.problems))
    found.extend(_detection(params, record))
    found.extend(_notification(params, ctx, record))
    found.extend(_resolution(params, record))
    if record.traffic:
        record.lines.append("traffic: " + ", ".join(f"{k}={v}" for k, v in sorted(record.traffic.items())))
    artifacts = _write_timeline(params, ctx, record, found)
    evidence = Evidence(excerpt=excerpt("\n".join(record.lines)), artifacts=artifacts)
    status = Status.FAIL if found.problems else Status.PASS
    return Outcome(
        status=status,
        summary="; ".join(found.problems) if found.problems else _passed(params, record),
        measurements=tuple(found.measurements),
        evidence=evidence,
        reproducer=reproducer,
    )
