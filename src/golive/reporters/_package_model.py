"""The readiness package's data: what the package documents show, built by :mod:`golive.reporters.package`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from golive.history.base import SignoffRecord
from golive.results import CheckResult, Decision, Review, Risk, WaiverRecord


@dataclass(frozen=True, kw_only=True)
class TrendPoint:
    """One earlier (or the current) review, for the trend table."""

    review_id: int
    started_at: datetime
    decision: str
    readiness: float
    passed: int
    total: int
    complete: bool


@dataclass(frozen=True, kw_only=True)
class RiskEntry:
    """An open gap, as the risk assessment lists it."""

    criterion_id: str
    title: str
    level: Risk
    likelihood: str
    impact: str
    description: str
    mitigation: str
    owner: str
    status: str


@dataclass(frozen=True, kw_only=True)
class TestArea:
    """Results of one kind of testing (unit, integration, E2E, ...)."""

    name: str
    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> int:
        """Criteria of this kind that passed."""
        return sum(1 for r in self.results if r.passed)

    @property
    def verdict(self) -> str:
        """``passed``, ``failing`` or ``not covered``."""
        if not self.results:
            return "not covered"
        return "passed" if self.passed == len(self.results) else "failing"


@dataclass(frozen=True, kw_only=True)
class LaunchStep:
    """One step of the launch plan."""

    action: str
    owner: str
    done: bool = False


@dataclass(frozen=True, kw_only=True)
class SignoffView:
    """A sign-off with what the package says about it."""

    record: SignoffRecord
    current: bool
    """True when it signs the review this package is built on."""

    @property
    def override(self) -> bool:
        """A GO given on a NO-GO review, with a reason."""
        return bool(self.record.override_reason)

    @property
    def label(self) -> str:
        """``GO``, ``NO-GO`` or ``GO (override)``."""
        return f"{self.record.decision} (override)" if self.override else self.record.decision


@dataclass(frozen=True, kw_only=True)
class ReadinessPackage:
    """Everything the package documents show."""

    review: Review
    review_id: int | None
    generated_at: datetime
    owner: str
    trend: tuple[TrendPoint, ...]
    risks: tuple[RiskEntry, ...]
    waivers: tuple[WaiverRecord, ...]
    tests: tuple[TestArea, ...]
    launch: tuple[LaunchStep, ...]
    rollback_commands: tuple[str, ...]
    rollback_source: str
    runbook_path: str
    runbook_verified: str
    """Date the runbook criterion last passed ("" when never)."""
    signers: tuple[str, ...]
    signoffs: tuple[SignoffView, ...]

    @property
    def go(self) -> bool:
        """True when the review's decision is GO."""
        return self.review.decision is Decision.GO

    def risks_at(self, level: Risk) -> tuple[RiskEntry, ...]:
        """Open risks of one level."""
        return tuple(r for r in self.risks if r.level is level)

    @property
    def risk_levels(self) -> tuple[tuple[str, tuple[RiskEntry, ...]], ...]:
        """(level name, risks) for High, Medium and Low."""
        return tuple((lvl.value, self.risks_at(lvl)) for lvl in (Risk.HIGH, Risk.MEDIUM, Risk.LOW))

    @property
    def current_signoffs(self) -> tuple[SignoffView, ...]:
        """Sign-offs of the review this package is built on: each person's newest counts."""
        seen: set[tuple[str, str]] = set()
        newest: list[SignoffView] = []
        for s in sorted(self.signoffs, key=lambda s: s.record.created_at, reverse=True):
            key = (s.record.name.strip().lower(), s.record.role.strip().lower())
            if s.current and key not in seen:
                seen.add(key)
                newest.append(s)
        return tuple(newest)

    @property
    def missing_roles(self) -> tuple[str, ...]:
        """Required roles without a current sign-off."""
        have = [s.record.role.lower() for s in self.current_signoffs]
        return tuple(r for r in self.signers if not any(r.lower() in h for h in have))

    @property
    def signoff_status(self) -> str:
        """One line: approved, blocked by a NO-GO, or waiting for roles."""
        current = self.current_signoffs
        nogo = [s for s in current if s.record.decision == Decision.NO_GO.value]
        if nogo:
            names = ", ".join(f"{s.record.name} ({s.record.role})" for s in nogo)
            return f"Blocked: NO-GO from {names}"
        if self.missing_roles:
            return "Waiting for sign-off from: " + ", ".join(self.missing_roles)
        if any(s.override for s in current):
            return "Approved with override: GO signed against a NO-GO review"
        return "Approved: every required role signed GO"

    @property
    def delta(self) -> float | None:
        """Readiness change since the previous complete review, in points."""
        complete = [t for t in self.trend if t.complete]
        if len(complete) < 2:
            return None
        return complete[-1].readiness - complete[-2].readiness
