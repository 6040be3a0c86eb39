"""``${VAR}`` and ``${VAR:-default}`` references: the one resolver every part of golive uses.

Secrets never live in the spec: they are referenced and looked up in the process
environment only when something that needs them runs. An environment's ``vars`` may
themselves reference process variables (``DB_URL: ${PGURL}``); a reference to a var is
resolved against the process environment at that moment, so a review, a deploy, ``init``
and a runbook step all see the same value for the same spec line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

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
    """Replace every reference in ``text`` from ``environ``; MissingVariableError for an unset one."""

    def _sub(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = environ.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise MissingVariableError(name)
            return default
        return value

    return _REF.sub(_sub, text)


class _Lookup(Mapping[str, str]):
    """Vars (resolved against the process environment on access) over the process environment."""

    def __init__(self, environ: Mapping[str, str], spec_vars: Mapping[str, str]) -> None:
        self._environ = environ
        self._vars = spec_vars

    def __getitem__(self, name: str) -> str:
        if name in self._vars:
            return resolve(self._vars[name], self._environ)
        return self._environ[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._vars
        yield from (k for k in self._environ if k not in self._vars)

    def __len__(self) -> int:
        return len(set(self._vars) | set(self._environ))


@dataclass(frozen=True, kw_only=True)
class Variables:
    """The variables a spec line may reference: an environment's ``vars`` over the process env.

    Build it with :meth:`for_process` (the process environment plus a spec's vars) or directly
    with explicit mappings; it is immutable and cheap to copy with :meth:`with_environ`.
    """

    environ: Mapping[str, str] = field(default_factory=dict)
    vars: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_process(
        cls, spec_vars: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
    ) -> Variables:
        """``spec_vars`` over ``environ`` (default: a snapshot of this process's environment)."""
        return cls(environ=dict(os.environ if environ is None else environ), vars=dict(spec_vars or {}))

    def with_environ(self, extra: Mapping[str, str]) -> Variables:
        """A copy whose process environment has ``extra`` on top (generated secrets, drill vars)."""
        return Variables(environ={**self.environ, **extra}, vars=self.vars)

    def with_vars(self, extra: Mapping[str, str]) -> Variables:
        """A copy with more vars on top of the spec's (e.g. a release's settings)."""
        return Variables(environ=self.environ, vars={**self.vars, **extra})

    @property
    def lookup(self) -> Mapping[str, str]:
        """Name → value, vars first (resolved on access), then the process environment."""
        return _Lookup(self.environ, self.vars)

    def resolve(self, text: str) -> str:
        """Replace every reference; MissingVariableError names the first unset variable."""
        return resolve(text, self.lookup)

    def resolve_tree(self, value: object) -> object:
        """Resolve references in every string of a nested structure of lists/dicts/strings."""
        if isinstance(value, str):
            return self.resolve(value)
        if isinstance(value, list | tuple):
            return type(value)(self.resolve_tree(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve_tree(v) for k, v in value.items()}
        return value

    def resolved_vars(self) -> dict[str, str]:
        """Every var resolved; MissingVariableError for the first that references an unset one."""
        return {name: resolve(value, self.environ) for name, value in self.vars.items()}

    def child_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Variables a child process gets on top of golive's own: resolved vars, then ``extra``.

        ``extra`` values are resolved too. The process environment itself is added by the
        process module, so it is not copied here.
        """
        env = {k: v for k, v in self.environ.items() if os.environ.get(k) != v}
        env.update(self.resolved_vars())
        env.update({k: self.resolve(v) for k, v in (extra or {}).items()})
        return env
