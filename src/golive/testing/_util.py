"""Helpers shared by the testing family's checks."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from golive.checks.base import CheckContext


def resolve_command(ctx: CheckContext, command: str | Sequence[str]) -> str | list[str]:
    """``${VAR}`` references resolved in a command string or every argv item."""
    if isinstance(command, str):
        return ctx.resolve(command)
    return [ctx.resolve(a) for a in command]


def append_args(command: str | list[str], args: Sequence[str]) -> str | list[str]:
    """The command with extra arguments at its end (quoted when the command is a string)."""
    if isinstance(command, str):
        return command + " " + shlex.join(args) if args else command
    return [*command, *args]


def tool(name: str) -> str | None:
    """Path of an executable: next to the running interpreter first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def check_regex(pattern: str | None) -> None:
    """Raise ValueError (for a params validator) when ``pattern`` is not a valid regex."""
    if pattern is None:
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


def pct(part: int, whole: int) -> float:
    """``part`` of ``whole`` in percent, rounded to 2 decimals; 100 when there is nothing."""
    return 100.0 if whole == 0 else round(100.0 * part / whole, 2)
