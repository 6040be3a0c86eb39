"""``${VAR}`` and ``${VAR:-default}`` references, resolved at run time.

Secrets never live in the spec: they are referenced and looked up in the process
environment only when a check that needs them runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from golive.errors import GoliveError

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class MissingVariableError(GoliveError):
    """A ``${VAR}`` reference has no value and no default."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"environment variable {name} is not set (referenced as ${{{name}}}); "
            f"export it or give a default with ${{{name}:-value}}"
        )


def references(text: str) -> list[str]:
    """Names of the variables a string refers to."""
    return [m.group(1) for m in _REF.finditer(text)]


def resolve(text: str, environ: Mapping[str, str]) -> str:
    """Replace every reference in ``text``; raise MissingVariableError for an unset one."""

    def _sub(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = environ.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise MissingVariableError(name)
            return default
        return value

    return _REF.sub(_sub, text)


def resolve_tree(value: object, environ: Mapping[str, str]) -> object:
    """Resolve references in every string of a nested structure of lists/dicts/strings."""
    if isinstance(value, str):
        return resolve(value, environ)
    if isinstance(value, list | tuple):
        return type(value)(resolve_tree(v, environ) for v in value)
    if isinstance(value, dict):
        return {k: resolve_tree(v, environ) for k, v in value.items()}
    return value
