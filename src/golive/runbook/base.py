"""The runbook family's error and the protocol its package renderers follow."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol

from golive.errors import GoliveError

if TYPE_CHECKING:
    from golive.runbook.package import ReadinessPackage

__all__ = ["PackageRenderer", "RunbookError"]


class RunbookError(GoliveError):
    """A runbook could not be read, generated or packaged (the family's error)."""


class PackageRenderer(Protocol):
    """Turns a readiness package into the text of one document format."""

    #: Format name (``markdown``, ``html``).
    name: ClassVar[str]
    #: File extension without the dot.
    extension: ClassVar[str]

    def render(self, package: ReadinessPackage) -> str:
        """The whole document."""
        ...
