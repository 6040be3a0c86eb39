"""Typed events the runner emits while a review progresses; reporters consume them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from golive.results import CheckResult, Review, Tier


@dataclass(frozen=True, kw_only=True)
class PlannedCheck:
    """A criterion the review is about to run."""

    criterion_id: str
    title: str
    area: str
    tier: Tier
    check_type: str


@dataclass(frozen=True, kw_only=True)
class ReviewStarted:
    """The review has begun; ``planned`` lists every criterion it will report on."""

    service: str
    environment: str
    planned: tuple[PlannedCheck, ...]
    jobs: int


@dataclass(frozen=True, kw_only=True)
class StackEvent:
    """Progress of the environment's local stack (``up`` / ``down``)."""

    phase: str
    message: str


@dataclass(frozen=True, kw_only=True)
class CheckStarted:
    """A check began running."""

    criterion_id: str
    title: str


@dataclass(frozen=True, kw_only=True)
class CheckFinished:
    """A check produced its result (including blocked and skipped ones)."""

    result: CheckResult


@dataclass(frozen=True, kw_only=True)
class ReviewFinished:
    """The review is complete (or was interrupted) and scored."""

    review: Review


Event = ReviewStarted | StackEvent | CheckStarted | CheckFinished | ReviewFinished
"""Any event the runner emits."""

Listener = Callable[[Event], None]
"""Something that receives events; it must not block."""
