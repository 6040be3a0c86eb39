"""Command lines from a spec with ``${VAR}`` resolved, without turning data into shell text."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from golive.kit.environment import Variables

CommandLine = list[str] | str
"""An argv list, or a string run by ``/bin/sh -c``."""


def resolve_command(
    variables: Variables, command: CommandLine, *, from_env: Collection[str] = ()
) -> CommandLine:
    """``${VAR}`` references resolved; the names in ``from_env`` never become shell text.

    Those name values golive found (a backup's file name, a version a status command
    printed). In an argv list every item is resolved: a value is one argument whatever it
    holds. In a shell string their references are left for the shell, which expands them
    from the child's environment (the caller passes them in ``env``), so a file named
    ``b$(touch PWNED).db`` stays a name. Pasting a quoted value would not do: inside the
    user's own double quotes ``$(...)`` still runs.
    """
    if not isinstance(command, str):
        return [variables.resolve(arg) for arg in command]
    if not from_env:
        return variables.resolve(command)
    kept: list[str] = []

    def _keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        # NUL cannot occur in a command line or an environment value: a safe placeholder.
        return f"\0{len(kept) - 1}\0"

    names = "|".join(re.escape(name) for name in from_env)
    protected = re.sub(rf"\$\{{(?:{names})(?::-[^}}]*)?\}}", _keep, command)
    return re.sub(r"\0(\d+)\0", lambda m: kept[int(m.group(1))], variables.resolve(protected))
