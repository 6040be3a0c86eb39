"""The load family's protocol and error."""

from __future__ import annotations

from typing import Protocol

from golive.errors import GoliveError
from golive.load._model import LoadPlan, LoadRun


class LoadError(GoliveError):
    """The load engine could not run (bad scenario, a plan outlasting its timeout, engine crash)."""


class LoadEngine(Protocol):
    """Something that executes a :class:`LoadPlan` and returns what it measured."""

    async def execute(self, plan: LoadPlan) -> LoadRun:
        """Run the plan to completion (bounded by its own duration and request limits)."""
        ...
