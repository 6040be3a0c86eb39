"""The check protocol and the context a check runs in.

A check *exercises* the real system and returns an :class:`~golive.results.Outcome`.
Everything it may use comes through :class:`CheckContext`: the environment under review,
``${VAR}`` resolution, processes, the Prometheus client, the guards, and the results of the
criteria it ``needs``. Checks never reach for global state or the engine's file layout.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

from golive.errors import GoliveError
from golive.kit import guards
from golive.kit.environment import Variables
from golive.kit.model import Frozen
from golive.results import CheckResult, Outcome

if TYPE_CHECKING:  # httpx, the Prometheus client and asyncio load when a check runs, not at start-up
    import httpx

    from golive.kit.processes import CommandLine, ManagedProcess, ProcessResult
    from golive.kit.prometheus import PrometheusClient
    from golive.spec.models import Environment, Objectives, Spec


class CheckError(GoliveError):
    """A check could not produce a verdict (missing tool, unreachable system, bad setting).

    The engine turns it into an ``error`` result with this message as the summary.
    """


class Params(Frozen):
    """Base of every check type's params model: frozen and strict about unknown fields."""


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
    #: ``--allow-destructive`` was given (see :meth:`require_destructive`).
    allow_destructive: bool = False
    #: ``--load-workers``: Locust worker processes for load checks (None: the check's own).
    load_workers: int | None = None
    #: The whole spec under review (read-only), for checks that judge the spec itself.
    spec: Spec | None = None
    #: Results of the criteria this one ``needs`` (all passed, or it would not run).
    needed: Mapping[str, CheckResult] = field(default_factory=dict)

    @property
    def variables(self) -> Variables:
        """The environment's ``vars`` over the process environment: the one ``${VAR}`` resolver."""
        return Variables(environ=self.environ, vars=self.environment.vars)

    def resolve(self, text: str) -> str:
        """Resolve ``${VAR}`` references from the environment's vars and the process env."""
        return self.variables.resolve(text)

    def url(self, path_or_url: str) -> str:
        """An absolute URL: ``path_or_url`` as is when absolute, else joined to ``base_url``."""
        target = self.resolve(path_or_url)
        if target.startswith(("http://", "https://")):
            return target
        if not self.environment.base_url:
            raise CheckError(
                f"{self.criterion_id} needs the service's address: set base_url on environment "
                f"{self.environment_name!r}"
            )
        base = self.resolve(self.environment.base_url).rstrip("/")
        return f"{base}/{target.lstrip('/')}"

    def path(self, relative: str) -> Path:
        """A path relative to the spec's directory (absolute paths pass through)."""
        p = Path(self.resolve(relative))
        return p if p.is_absolute() else self.workdir / p

    async def run(
        self,
        command: CommandLine | Sequence[str],
        *,
        shell: bool = False,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        stdin: bytes | None = None,
    ) -> ProcessResult:
        """Run a command in its own process group; killed with its children on timeout.

        The child gets golive's environment plus ``env`` (resolve values with :meth:`resolve`).
        """
        from golive.kit.processes import run_process

        return await run_process(
            command,
            shell=shell,
            cwd=cwd or self.workdir,
            env=env,
            timeout=timeout if timeout is not None else self.timeout,
            stdin=stdin,
        )

    def start(
        self,
        command: CommandLine | Sequence[str],
        *,
        log: Path,
        name: str = "",
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ManagedProcess:
        """Start a long-running process (a server) that dies with golive; always stop it."""
        from golive.kit.processes import ManagedProcess

        return ManagedProcess.start(
            command,
            log=log,
            name=name,
            cwd=cwd or self.workdir,
            env=env,
        )

    def prometheus(self, url: str | None = None) -> PrometheusClient:
        """A client for ``url`` or the environment's ``prometheus_url``; CheckError when neither."""
        raw = url or self.environment.prometheus_url
        if not raw:
            raise CheckError(f"set prometheus_url on environment {self.environment_name!r}")
        from golive.kit.prometheus import PrometheusClient

        return PrometheusClient(self.http, self.resolve(raw))

    def require_target(self, url: str, *, what: str = "traffic") -> None:
        """CheckError unless ``url`` is loopback or in the environment's (resolved) ``allow_hosts``."""
        try:
            allowed = [self.resolve(h) for h in self.environment.allow_hosts]
            guards.require_target(url, allowed, what=what)
        except GoliveError as exc:
            raise CheckError(str(exc)) from None

    def destructive_refusal(self, what: str) -> str:
        """ "" when ``what`` (a destructive step) may run here, else why not (the one policy)."""
        try:
            guards.require_destructive(
                environment=self.environment_name,
                production=guards.is_production(self.environment_name, self.environment.production),
                environment_allows=self.environment.allow_destructive,
                flag_given=self.allow_destructive,
                what=what,
            )
        except guards.GuardError as exc:
            return str(exc)
        return ""

    def result_of(self, criterion_id: str) -> CheckResult:
        """The result of a criterion this one ``needs``; CheckError when it is not a need."""
        try:
            return self.needed[criterion_id]
        except KeyError:
            raise CheckError(
                f"{self.criterion_id} reads the result of {criterion_id!r}: add it to `needs`"
            ) from None


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """Everything a reusable check's verdict depends on besides its params (see :class:`Check`).

    The engine hashes these (with the params, the check type and golive's version) into a
    fingerprint; equal fingerprints mean the check would judge the same things again. Name
    inputs completely: a file the check reads but does not list here makes reuse wrong.
    """

    #: Files and globs (``**`` allowed), relative to the spec's directory or absolute. A path
    #: that matches nothing counts as "absent", which is an input too.
    paths: tuple[str, ...] = ()
    #: Executables the check runs, by name (found like :func:`golive.kit.processes.find_tool`):
    #: their resolved path, size, modification time and package version are hashed.
    tools: tuple[str, ...] = ()
    #: Git repositories whose refs (every branch and tag's commit) the check reads, e.g. history scans.
    git_refs: tuple[Path, ...] = ()
    #: Anything else the verdict depends on (e.g. today's date for an age limit).
    extra: tuple[str, ...] = ()
    #: Names (``fnmatch`` patterns such as ``.coverage.*``) of files and directories skipped
    #: wherever they appear below a directory in ``paths``: output and caches, never inputs.
    exclude: tuple[str, ...] = ()
    #: The run writes into what ``paths`` name (a test suite leaves its coverage report and
    #: caches). The engine then hashes the inputs again after the run and records that
    #: fingerprint, so a later review reuses the evidence only while the files, and the outputs
    #: other checks read, are exactly as this run left them.
    after_run: bool = False


def is_reusable(check_type: object) -> bool:
    """Whether a check type declared its evidence reusable (``reusable = True`` and ``inputs``)."""
    return bool(getattr(check_type, "reusable", False)) and callable(getattr(check_type, "inputs", None))


def needs_base_url(check_type: object, params: object) -> bool:
    """Whether a criterion of ``check_type`` with ``params`` needs the environment's ``base_url``."""
    if not getattr(check_type, "needs_base_url", False):
        return False
    uses = getattr(check_type, "uses_base_url", None)
    return bool(uses(params)) if callable(uses) else True


def is_full_url(text: str | None) -> bool:
    """``text`` is an absolute http(s) URL (or a ``${VAR}`` that may hold one), not a path."""
    return bool(text) and str(text).startswith(("http://", "https://", "${"))


@runtime_checkable
class Check(Protocol):
    """A check type. Implementations are classes with a no-argument constructor."""

    #: The name used in ``check: {type: NAME}``.
    name: ClassVar[str]
    #: One line shown by ``golive list-checks``.
    description: ClassVar[str]
    #: Optional ``exclusive: ClassVar[bool] = True`` on a type that disrupts the system
    #: (fault injection, load): the engine then runs it with no other check at once.
    #: An exclusive type that disturbs the service but times nothing on this machine (a probe, a
    #: fuzzer) adds ``disruptive: ClassVar[bool] = True``: checks declared ``offline`` (they
    #: never talk to the service: scanners, coverage; a criterion may say ``offline:`` itself)
    #: then run beside it, so CPU-heavy local work starts at once instead of after every drill.
    #: Such a type that times responses for some params says so with an optional static method
    #: ``times_responses(params) -> bool``: with those params it runs alone after all.
    #: Optional ``measures_performance: ClassVar[bool] = True`` on a type that times the system
    #: (latency, throughput, recovery time) and ``cpu_heavy: ClassVar[bool] = True`` on one that
    #: loads the machine itself (scanners, test suites, builds): the engine never runs the two
    #: at once, and records golive's own CPU use next to every performance measurement.
    #: Optional ``needs_base_url: ClassVar[bool] = True`` on a type that talks to the running
    #: service through the environment's ``base_url``: a criterion of that type in an
    #: environment without ``base_url`` is a spec error. A type whose need depends on its params
    #: (an ``http`` check given a full URL needs no base_url) adds a static method
    #: ``uses_base_url(params) -> bool``, asked instead; :func:`needs_base_url` reads both.
    #: Optional ``reusable: ClassVar[bool] = True`` (default False) on a type whose verdict
    #: depends only on inputs it can name completely, never on the running system: it then
    #: also has ``inputs(self, params, ctx) -> Inputs`` naming them, and a criterion with
    #: ``reuse: 24h`` (or ``golive review --reuse``) may reuse an earlier review's evidence when
    #: the fingerprint of those inputs is unchanged. ``inputs`` raises CheckError when an
    #: input cannot be named (the check then simply runs); it may be a coroutine when naming
    #: them needs a process (``ctx.run``), e.g. to list an interpreter's packages. See
    #: :func:`is_reusable`.

    #: The params model; validated with the spec. (A read-only property in the protocol so
    #: that implementations may narrow it to their own model class.)
    @property
    def Params(self) -> type[BaseModel]:  # noqa: N802 - the attribute is named like a class
        """The params model class."""
        ...

    async def run(self, params: Any, ctx: CheckContext) -> Outcome:
        """Exercise the system and return what was found."""
        ...
