"""The runbook family's error."""

from __future__ import annotations

from golive.errors import GoliveError

__all__ = ["RunbookError"]


class RunbookError(GoliveError):
    """A runbook could not be read or generated (the family's error)."""
