"""Small helpers shared by the testing family's checks (process and tool services are the kit's)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from golive.kit.check import CheckContext


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
