"""The containers family's error."""

from __future__ import annotations

from golive.errors import GoliveError


class ContainersError(GoliveError):
    """An image or compose input golive cannot read (a broken saved archive, …)."""
