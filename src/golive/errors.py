"""The exception hierarchy: every error golive raises derives from :class:`GoliveError`.

Only ``golive.cli`` turns these into messages and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass


class GoliveError(Exception):
    """Root of every error golive raises on purpose."""


@dataclass(frozen=True, kw_only=True)
class SpecProblem:
    """One problem found in a spec, with the place it was found.

    ``line`` and ``col`` count from 1; ``line`` 0 means the file as a whole (it cannot be
    read, or is missing), printed as ``file: message`` with no position.
    """

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        if self.line < 1:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class SpecError(GoliveError):
    """The spec is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems))


class EnvironmentSetupError(GoliveError):
    """An environment's ``up`` command failed or the service never became healthy."""


class StoreError(GoliveError):
    """The history store could not be opened, read or written."""


class UsageError(GoliveError):
    """The command line asked for something that cannot be done (unknown env, bad filter)."""
