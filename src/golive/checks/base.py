"""The check family: the protocol every check type implements, and its context.

A check *exercises* the real system and returns an :class:`~golive.results.Outcome`.
Check types are registered by name (see :mod:`golive.checks.registry`) and receive
their params already validated against their own pydantic model.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict

from golive import _interpolate
from golive._process import ProcessResult, run_process
from golive.errors import GoliveError
from golive.results import Outcome
from golive.spec.models import Environment, Objectives


class CheckError(GoliveError):
    """A check could not produce a verdict (missing tool, unreachable system, bad setting).

    The engine turns it into an ``error`` result with this message as the summary.
    """


class Params(BaseModel):
    """Base of every check type's params model: frozen and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True, kw_only=True)
class CheckContext:
    """Everything a check may use; checks never reach for global state."""

    criterion_id: str
    environment_name: str
    environment: Environment
    objectives: Objectives
    workdir: Path
    artifacts_dir: Path
    http: httpx.AsyncClient
    logger: logging.Logger
    timeout: float
    environ: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    def resolve(self, text: str) -> str:
        """Resolve ``${VAR}`` references from the environment's vars and the process env."""
        merged = {**self.environ, **self.environment.vars}
        # Vars may themselves reference process variables (``DB_URL: ${PGURL}``).
        merged.update({k: _interpolate.resolve(v, self.environ) for k, v in self.environment.vars.items()})
        return _interpolate.resolve(text, merged)

    def url(self, path_or_url: str) -> str:
        """An absolute URL: ``path_or_url`` as is when absolute, else joined to ``base_url``."""
        target = self.resolve(path_or_url)
        if target.startswith(("http://", "https://")):
            return target
        base = self.resolve(self.environment.base_url).rstrip("/")
        return f"{base}/{target.lstrip('/')}"

    def path(self, relative: str) -> Path:
        """A path relative to the spec's directory (absolute paths pass through)."""
        p = Path(self.resolve(relative))
        return p if p.is_absolute() else self.workdir / p

    async def run(
        self,
        command: str | Sequence[str],
        *,
        shell: bool = False,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        stdin: bytes | None = None,
    ) -> ProcessResult:
        """Run a command in its own process group; killed with its children on timeout."""
        return await run_process(
            command,
            shell=shell,
            cwd=cwd or self.workdir,
            env=env,
            timeout=timeout if timeout is not None else self.timeout,
            stdin=stdin,
        )


@runtime_checkable
class Check(Protocol):
    """A check type. Implementations are classes with a no-argument constructor."""

    #: The name used in ``check: {type: NAME}``.
    name: ClassVar[str]
    #: One line shown by ``golive list-checks``.
    description: ClassVar[str]
    #: Optional ``exclusive: ClassVar[bool] = True`` on a type that disrupts the system
    #: (fault injection, load): the engine then runs it with no other check at once.

    #: The params model; validated with the spec. (A read-only property in the protocol so
    #: that implementations may narrow it to their own model class.)
    @property
    def Params(self) -> type[BaseModel]:  # noqa: N802 - the attribute is named like a class
        """The params model class."""
        ...

    async def run(self, params: Any, ctx: CheckContext) -> Outcome:
        """Exercise the system and return what was found."""
        ...
