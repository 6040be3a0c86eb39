"""Result data: what a check measured, and what a whole review concluded.

Everything here is a frozen, keyword-only dataclass or an enum so that results can be
shared between the engine, reporters and the history store without defensive copies.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Status(enum.StrEnum):
    """The outcome of one criterion's check."""

    PASS = "pass"
    FAIL = "fail"
    NO_DATA = "no-data"
    ERROR = "error"
    BLOCKED = "blocked"
    SKIPPED = "skipped"


class Tier(enum.StrEnum):
    """How much a criterion matters for the GO decision."""

    MUST = "must"
    SHOULD = "should"
    NICE = "nice"


class Decision(enum.StrEnum):
    """The verdict of a review."""

    GO = "GO"
    NO_GO = "NO-GO"


class Risk(enum.StrEnum):
    """Risk level of an open gap, derived from its tier."""

    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """A number a check measured, with the target it was compared with."""

    name: str
    value: float
    unit: str = ""
    target: str | None = None


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What a person needs to trust a result: output excerpts and artifact paths."""

    excerpt: str = ""
    artifacts: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What a check returns: the engine adds timing and identity to make a CheckResult."""

    status: Status
    summary: str
    measurements: tuple[Measurement, ...] = ()
    evidence: Evidence = field(default_factory=Evidence)
    reproducer: str = ""


@dataclass(frozen=True, kw_only=True)
class ReusedFrom:
    """Where a reused result's evidence comes from: an earlier review whose inputs were the same."""

    review_id: int
    #: When the original evidence was produced (the original review's end).
    finished_at: datetime
    #: Age of the evidence in seconds when this review reused it.
    age_s: float

    @property
    def label(self) -> str:
        """The marker every report shows, e.g. ``reused from review #12, 3h ago``."""
        return f"reused from review #{self.review_id}, {format_age(self.age_s)} ago"


def format_age(seconds: float) -> str:
    """An age as people say it: ``45s``, ``12m``, ``3h``, ``2d``."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{max(0, int(seconds))}s"


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """The result of one criterion in one review."""

    criterion_id: str
    title: str
    area: str
    tier: Tier
    check_type: str
    status: Status
    summary: str
    measurements: tuple[Measurement, ...] = ()
    evidence: Evidence = field(default_factory=Evidence)
    reproducer: str = ""
    duration_s: float = 0.0
    #: When the check started running, in seconds since the review started (0 when it never ran).
    started_s: float = 0.0
    #: How long it waited for the engine's gate (lanes, ``jobs``) once its needs were met.
    waited_s: float = 0.0
    risk: str = ""
    #: What to run or do when the criterion is not met (the spec's ``fix``), e.g. ``golive init ci``.
    fix: str = ""
    owner: str = ""
    waived: bool = False
    waiver_reason: str = ""
    #: Set when this result is an earlier review's evidence, reused because its inputs did not change.
    reused: ReusedFrom | None = None
    #: Hash of the check's declared inputs (files, tool versions, params); empty when not reusable.
    fingerprint: str = ""

    @property
    def passed(self) -> bool:
        """True when the criterion counts as passed for scoring (pass, or a valid waiver)."""
        return self.status is Status.PASS or self.waived


@dataclass(frozen=True, kw_only=True)
class TierScore:
    """Score of one tier against its threshold."""

    tier: Tier
    passed: int
    total: int
    threshold: float

    @property
    def percent(self) -> float:
        """Percentage of criteria passed; an empty tier scores 100."""
        return 100.0 if self.total == 0 else 100.0 * self.passed / self.total

    @property
    def met(self) -> bool:
        """True when the tier reaches its threshold (compared exactly, without float error)."""
        return self.total == 0 or self.passed * 100 >= self.threshold * self.total


@dataclass(frozen=True, kw_only=True)
class AreaScore:
    """Score of one area (monitoring, security, ...)."""

    area: str
    passed: int
    total: int

    @property
    def percent(self) -> float:
        """Percentage of criteria passed in the area."""
        return 100.0 if self.total == 0 else 100.0 * self.passed / self.total


@dataclass(frozen=True, kw_only=True)
class RiskItem:
    """An open gap in the risk assessment."""

    criterion_id: str
    title: str
    level: Risk
    description: str
    status: Status
    owner: str = ""
    #: The goal (success criterion of the plan) this gap keeps from passing, when goals are declared.
    goal: str = ""
    #: What to run or do to close the gap (the criterion's ``fix``), empty when the spec says nothing.
    fix: str = ""


@dataclass(frozen=True, kw_only=True)
class GoalResult:
    """A success criterion of the plan: passed only when every one of its criteria passed."""

    goal_id: str
    title: str
    tier: Tier
    criteria: tuple[str, ...]
    failing: tuple[str, ...]
    risk: str = ""

    @property
    def passed(self) -> bool:
        """True when every criterion of the goal passed (or is waived)."""
        return not self.failing


@dataclass(frozen=True, kw_only=True)
class WaiverRecord:
    """A waiver as the report lists it."""

    criterion_id: str
    reason: str
    owner: str
    expires: str
    expired: bool


@dataclass(frozen=True, kw_only=True)
class Scorecard:
    """Scores and the decision derived from a set of results."""

    tiers: tuple[TierScore, ...]
    areas: tuple[AreaScore, ...]
    readiness: float
    decision: Decision
    blocking: tuple[str, ...]
    risks: tuple[RiskItem, ...]
    #: With goals declared, the tiers above are scored over these, not over single criteria.
    goals: tuple[GoalResult, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Review:
    """A finished (possibly partial or interrupted) review."""

    service: str
    environment: str
    spec_path: str
    started_at: datetime
    finished_at: datetime
    results: tuple[CheckResult, ...]
    scorecard: Scorecard
    waivers: tuple[WaiverRecord, ...] = ()
    warnings: tuple[str, ...] = ()
    partial: bool = False
    interrupted: bool = False
    selection: tuple[str, ...] = ()
    golive_version: str = ""

    @property
    def decision(self) -> Decision:
        """The decision of this review."""
        return self.scorecard.decision

    @property
    def duration_s(self) -> float:
        """Wall time of the review in seconds."""
        return (self.finished_at - self.started_at).total_seconds()
