"""The review engine: concurrent checks, events, the local stack."""

from golive.engine._reuse import ReuseSource
from golive.engine._stack import LocalStack
from golive.engine.events import (
    CheckFinished,
    CheckStarted,
    Event,
    Listener,
    PlannedCheck,
    ReviewFinished,
    ReviewStarted,
    StackEvent,
)
from golive.engine.runner import ReviewOptions, Runner, default_jobs, select

__all__ = [
    "CheckFinished",
    "CheckStarted",
    "Event",
    "Listener",
    "LocalStack",
    "PlannedCheck",
    "ReviewFinished",
    "ReviewOptions",
    "ReviewStarted",
    "ReuseSource",
    "Runner",
    "StackEvent",
    "default_jobs",
    "select",
]
