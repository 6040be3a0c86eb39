"""The critical path of a review: the chain of checks that determined its wall time.

Each result says when its check started (``started_s``), how long it waited for the engine's
gate once its needs were met (``waited_s``) and how long it ran. Walking back from the check
that finished last, a check's start was set either by the gate (it waited: the check that
released the gate by finishing just before is its predecessor) or by its needs (it became
ready when the check that finished just before its readiness did). A check that was ready at
the review's start begins the chain. Shortening any step on this chain shortens the review;
shortening anything else does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from golive.results import CheckResult, Review

#: Scheduling slack between one check finishing and the next starting (event loop, masking).
SLACK_S = 0.25


@dataclass(frozen=True, kw_only=True)
class PathStep:
    """One check on the critical path."""

    criterion_id: str
    started_s: float
    finished_s: float
    waited_s: float
    #: Why it started when it did: ``start`` (ready at once), ``needs`` or ``gate``.
    cause: str

    @property
    def duration_s(self) -> float:
        """How long the check ran."""
        return self.finished_s - self.started_s


@dataclass(frozen=True, kw_only=True)
class CriticalPath:
    """The critical path, with the review's wall time and the sum of its check times."""

    steps: tuple[PathStep, ...]
    wall_s: float
    busy_s: float

    @property
    def path_s(self) -> float:
        """Time the chain's checks ran (the rest of the wall time went to waiting or set-up)."""
        return sum(s.duration_s for s in self.steps)

    @property
    def overlap(self) -> float:
        """Sum of check times over wall time: 1.0 is fully serial, higher is better overlap."""
        return self.busy_s / self.wall_s if self.wall_s > 0 else 0.0


def _end(r: CheckResult) -> float:
    return r.started_s + r.duration_s


def _finished_by(ran: list[CheckResult], moment: float, exclude: set[str]) -> CheckResult | None:
    """The check that finished last at (or just after) ``moment``: what released it.

    It was running before ``moment``: checks released at the same instant are its peers.
    """
    done = [
        r
        for r in ran
        if r.criterion_id not in exclude and _end(r) <= moment + SLACK_S and r.started_s < moment - 0.05
    ]
    return max(done, key=_end, default=None)


def critical_path(review: Review) -> CriticalPath:
    """The chain of checks that determined ``review``'s wall time (empty when none ran)."""
    ran = [r for r in review.results if r.reused is None and (r.started_s > 0 or r.duration_s > 0)]
    busy = sum(r.duration_s for r in ran)
    # Reports written before checks recorded their start (every started_s 0) have no timeline.
    if not any(r.started_s > 0 for r in ran):
        return CriticalPath(steps=(), wall_s=review.duration_s, busy_s=busy)
    current: CheckResult | None = max(ran, key=_end)
    seen: set[str] = set()
    steps: list[PathStep] = []
    while current is not None and current.criterion_id not in seen:
        seen.add(current.criterion_id)
        ready = current.started_s - current.waited_s
        if current.waited_s > SLACK_S:
            cause, moment = "gate", current.started_s
        elif ready > SLACK_S:
            cause, moment = "needs", ready
        else:
            cause, moment = "start", 0.0
        steps.append(
            PathStep(
                criterion_id=current.criterion_id,
                started_s=current.started_s,
                finished_s=_end(current),
                waited_s=current.waited_s,
                cause=cause,
            )
        )
        current = None if cause == "start" else _finished_by(ran, moment, seen)
    return CriticalPath(steps=tuple(reversed(steps)), wall_s=review.duration_s, busy_s=busy)


CAUSE_LABEL = {
    "start": "ready at the start",
    "needs": "after its needs",
    "gate": "waited for the gate",
}
