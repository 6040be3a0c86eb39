"""The history family: what a history store keeps and the protocol every store follows.

A history store records finished reviews (and, for later features, sign-offs, deploys and
named locks) so that ``golive history`` and ``golive diff`` can show readiness over time.
Records leave the store as frozen keyword-only dataclasses, never as raw rows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from golive.errors import StoreError
from golive.results import Decision, Review, Status, Tier

__all__ = [
    "ChangeKind",
    "CriterionChange",
    "DeployRecord",
    "HistoryError",
    "HistoryStore",
    "ReviewDiff",
    "ReviewSummary",
    "SignoffRecord",
    "StoreError",
]


class HistoryError(StoreError):
    """The history store could not be opened, read or written (the family's error)."""


@dataclass(frozen=True, kw_only=True)
class ReviewSummary:
    """One stored review, as a history listing shows it."""

    id: int
    service: str
    environment: str
    started_at: datetime
    finished_at: datetime
    decision: Decision
    readiness: float
    partial: bool
    interrupted: bool
    passed: int
    total: int
    golive_version: str = ""

    @property
    def complete(self) -> bool:
        """True for a review that ran every selected criterion to the end."""
        return not (self.partial or self.interrupted)


class ChangeKind(enum.StrEnum):
    """How a criterion changed between two reviews."""

    REGRESSION = "regression"
    """It counted as passed before and does not now."""
    IMPROVEMENT = "improvement"
    """It did not count as passed before and does now."""
    CHANGED = "changed"
    """Its status or waiver changed but it passes (or fails) as before, e.g. fail → error."""
    ADDED = "added"
    """New criterion, absent from the previous review."""
    REMOVED = "removed"
    """The criterion was in the previous review and is gone."""


_KIND_ORDER = {k: i for i, k in enumerate(ChangeKind)}
_TIER_ORDER = {t: i for i, t in enumerate(Tier)}


@dataclass(frozen=True, kw_only=True)
class CriterionChange:
    """One criterion whose result differs between the previous and the current review."""

    criterion_id: str
    title: str
    tier: Tier
    old_status: Status | None
    """``None`` when the criterion was added."""
    new_status: Status | None
    """``None`` when the criterion was removed."""
    old_passed: bool = False
    new_passed: bool = False
    old_waived: bool = False
    new_waived: bool = False

    @property
    def kind(self) -> ChangeKind:
        """Regression, improvement, neutral change, addition or removal."""
        if self.old_status is None:
            return ChangeKind.ADDED
        if self.new_status is None:
            return ChangeKind.REMOVED
        if self.old_passed and not self.new_passed:
            return ChangeKind.REGRESSION
        if self.new_passed and not self.old_passed:
            return ChangeKind.IMPROVEMENT
        return ChangeKind.CHANGED

    @property
    def sort_key(self) -> tuple[int, int, str]:
        """Regressions first, then improvements, neutral changes, additions, removals."""
        return (_KIND_ORDER[self.kind], _TIER_ORDER[self.tier], self.criterion_id)


@dataclass(frozen=True, kw_only=True)
class ReviewDiff:
    """What changed between the two latest complete reviews of a service in an environment.

    With fewer than two complete reviews, ``previous`` (and possibly ``current``) is
    ``None`` and there are no changes: check :attr:`comparable` first.
    """

    service: str
    environment: str
    previous: ReviewSummary | None
    current: ReviewSummary | None
    changes: tuple[CriterionChange, ...] = ()
    """Only the criteria that changed, regressions first (see :attr:`CriterionChange.sort_key`)."""

    @property
    def comparable(self) -> bool:
        """True when two reviews were found to compare."""
        return self.previous is not None and self.current is not None

    @property
    def readiness_delta(self) -> float | None:
        """Current minus previous readiness in percentage points; ``None`` if not comparable."""
        if self.previous is None or self.current is None:
            return None
        return self.current.readiness - self.previous.readiness

    def of_kind(self, kind: ChangeKind) -> tuple[CriterionChange, ...]:
        """The changes of one kind, in diff order."""
        return tuple(c for c in self.changes if c.kind is kind)

    @property
    def regressions(self) -> tuple[CriterionChange, ...]:
        """Criteria that passed before and do not now."""
        return self.of_kind(ChangeKind.REGRESSION)

    @property
    def improvements(self) -> tuple[CriterionChange, ...]:
        """Criteria that pass now and did not before."""
        return self.of_kind(ChangeKind.IMPROVEMENT)


@dataclass(frozen=True, kw_only=True)
class SignoffRecord:
    """A person's sign-off on a service going live in an environment."""

    id: int
    service: str
    environment: str
    review_id: int | None
    name: str
    role: str
    decision: str
    """Free text so the sign-off feature can choose its vocabulary (e.g. ``GO``/``NO-GO``)."""
    comment: str
    override_reason: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class DeployRecord:
    """A deploy of a service version to an environment."""

    id: int
    service: str
    environment: str
    version: str
    strategy: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    actor: str
    report_json: str
    """The deploy report as JSON text, owned by the deploy feature."""


class HistoryStore(Protocol):
    """What every history store offers; :class:`golive.history.store.SqlStore` implements it.

    Every method raises :class:`HistoryError` (a :class:`StoreError`) when the store fails.
    """

    def save_review(self, review: Review) -> int:
        """Store a finished review and its per-criterion results atomically; return its id."""
        ...

    def reviews(
        self, service: str | None = None, environment: str | None = None, limit: int = 50
    ) -> list[ReviewSummary]:
        """Stored reviews, newest first, optionally for one service and environment."""
        ...

    def targets(self) -> list[tuple[str, str]]:
        """Every (service, environment) pair with at least one stored review, sorted."""
        ...

    def load_review(self, review_id: int) -> Review:
        """The full review stored under ``review_id``."""
        ...

    def latest(self, service: str, environment: str, *, include_partial: bool = False) -> Review | None:
        """The newest review (complete only, unless ``include_partial``), if any."""
        ...

    def diff(self, service: str, environment: str) -> ReviewDiff:
        """Compare the latest two complete reviews."""
        ...

    def acquire_lock(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take the named lock for ``ttl_s`` seconds; False if someone else holds it."""
        ...

    def release_lock(self, name: str, holder: str) -> bool:
        """Release the named lock if ``holder`` holds it; True if it was released."""
        ...

    def add_signoff(
        self,
        *,
        service: str,
        environment: str,
        name: str,
        role: str,
        decision: str,
        comment: str = "",
        override_reason: str = "",
        review_id: int | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """Record a sign-off; return its id."""
        ...

    def signoffs(self, service: str, environment: str) -> list[SignoffRecord]:
        """Sign-offs for a service in an environment, newest first."""
        ...

    def add_deploy(
        self,
        *,
        service: str,
        environment: str,
        version: str,
        strategy: str,
        started_at: datetime,
        outcome: str,
        finished_at: datetime | None = None,
        actor: str = "",
        report_json: str = "{}",
    ) -> int:
        """Record a deploy; return its id."""
        ...

    def deploys(self, service: str, environment: str | None = None) -> list[DeployRecord]:
        """Deploys of a service (optionally in one environment), newest first."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    def __enter__(self) -> Self:
        """Use the store as a context manager that closes it."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        ...
