"""The deploy run: lock, pre-deploy gates, strategy, automatic rollback, record, report.

:class:`Deployer` is what ``golive deploy``, ``golive rollback`` and the ``deploy.drill``
check call. It never prints: progress goes to an ``emit`` callback and a log that ends
up in the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx

from golive.checks.registry import CheckRegistry
from golive.deploy._gates import GateKeeper
from golive.deploy._record import Attempt, Recorder
from golive.deploy._undo import undo
from golive.deploy.base import (
    DeployError,
    DeployLocked,
    DeployOutcome,
    Driver,
    DriverState,
    Release,
    Strategy,
)
from golive.deploy.command import CommandDriver
from golive.deploy.config import CommandDriverConfig, DeployConfig, KubernetesDriverConfig, LocalDriverConfig
from golive.deploy.kubernetes import KubernetesDriver
from golive.deploy.local import LocalDriver
from golive.deploy.report import DeployReport, GateResult
from golive.deploy.strategies import STRATEGIES, DeployEvent, Run
from golive.deploy.verify import VerificationFailed, Verifier
from golive.errors import GoliveError
from golive.history.base import HistoryStore
from golive.kit.environment import Variables
from golive.kit.masking import review_masker
from golive.spec import Spec

ROLLBACK_STRATEGY = "rollback"
"""The ``strategy`` recorded for a manual ``golive rollback``."""


def make_driver(config: DeployConfig, *, spec: Spec, env_name: str, variables: Variables) -> Driver:
    """The driver the config names; ``variables`` resolve ``${VAR}`` in its settings."""
    d = config.driver
    if isinstance(d, LocalDriverConfig):
        return LocalDriver(d, workdir=spec.root, environment=env_name, variables=variables)
    if isinstance(d, CommandDriverConfig):
        return CommandDriver(d, workdir=spec.root, variables=variables)
    if isinstance(d, KubernetesDriverConfig):
        return KubernetesDriver(d, workdir=spec.root, variables=variables)
    raise DeployError(f"unknown driver {d!r}")  # pragma: no cover - the config union is closed


def default_actor() -> str:
    """Who deploys: ``GOLIVE_ACTOR``, else the login name."""
    actor = os.environ.get("GOLIVE_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def lock_name(service: str, environment: str) -> str:
    """The history-store lock that keeps two deploys of one service and environment apart."""
    return f"deploy:{service}:{environment}"


def reports_dir(spec: Spec) -> Path:
    """Where deploy reports are written by default."""
    return spec.root / ".golive" / "deploys"


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, VerificationFailed):
        return f"verification failed: {exc}"
    if isinstance(exc, GoliveError):
        return f"deploy step failed: {exc}"
    return f"unexpected error: {type(exc).__name__}: {exc}"


class Deployer:
    """Deploys (and rolls back) one service in one environment."""

    def __init__(
        self,
        *,
        spec: Spec,
        config: DeployConfig,
        env_name: str,
        store: HistoryStore,
        driver: Driver | None = None,
        environ: Mapping[str, str] | None = None,
        emit: Callable[[DeployEvent], None] | None = None,
        actor: str | None = None,
        registry: CheckRegistry | None = None,
        record: bool = True,
    ) -> None:
        """``driver`` defaults to the one the config names; ``emit`` receives progress.

        ``${VAR}`` in the deploy settings resolve as in a review: the environment's ``vars``
        over ``environ`` (default: the process environment). UsageError for an environment
        the spec does not define.
        """
        self.spec = spec
        self.config = config
        self.env_name, self.environment = spec.environment(env_name)
        self.store = store
        self.variables = Variables.for_process(self.environment.vars, environ)
        self.driver = driver or make_driver(config, spec=spec, env_name=env_name, variables=self.variables)
        # Every message and record of the deploy passes through the masker (log lines carry
        # resolved command lines and URLs).
        self.masker = review_masker(spec, self.environment, self.variables.environ)
        raw_emit = emit or (lambda _e: None)
        self.emit: Callable[[DeployEvent], None] = lambda e: raw_emit(self.masker.mask_tree(e))
        self.actor = actor or default_actor()
        self.registry = registry
        self.holder = f"{self.actor}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._log: list[str] = []
        self.recorder = Recorder(
            service=self.service,
            environment=self.env_name,
            driver=self.driver.name,
            actor=self.actor,
            store=store,
            log=self._log,
            enabled=record,
            masker=self.masker,
        )
        self._gatekeeper = GateKeeper(
            spec=spec,
            gates=config.gates,
            env_name=self.env_name,
            store=store,
            variables=self.variables,
            log=self.log,
            registry=registry,
        )
        self._t0 = time.monotonic()

    def log(self, message: str) -> None:
        """Add a timestamped line to the report's log and pass it on as an event."""
        line = f"+{time.monotonic() - self._t0:6.2f}s {message}"
        self._log.append(line)
        self.emit(DeployEvent(kind="log", message=message))

    @property
    def service(self) -> str:
        """The service name from the spec."""
        return self.spec.service.name

    async def gates(self, release: Release, client: httpx.AsyncClient) -> list[GateResult]:
        """Every enabled gate's verdict (all are evaluated, so a refusal lists every reason)."""
        return await self._gatekeeper.evaluate(release, client)

    # -- lock -------------------------------------------------------------------------------

    def _acquire(self) -> None:
        name = lock_name(self.service, self.env_name)
        if not self.store.acquire_lock(name, self.holder, self.config.lock_ttl):
            raise DeployLocked(
                f"another deploy of {self.service} to {self.env_name} is in progress (lock {name!r}); "
                "wait for it to finish"
            )
        self.log(f"lock {name} taken by {self.holder}")

    def _release_lock(self) -> None:
        self.store.release_lock(lock_name(self.service, self.env_name), self.holder)

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """Hold the deploy lock; release it and the driver's resources however the run ends."""
        await asyncio.to_thread(self._acquire)
        try:
            yield
        finally:
            await asyncio.to_thread(self._release_lock)
            await self.driver.close()

    # -- deploy -----------------------------------------------------------------------------

    async def deploy(
        self,
        release: Release,
        *,
        strategy: Strategy | None = None,
        dry_run: bool = False,
        stop: asyncio.Event | None = None,
    ) -> DeployReport:
        """Deploy ``release``; roll back automatically on failure, timeout or ``stop``.

        Raises :class:`DeployLocked` when another deploy runs. A gate refusal, a rollback
        and a success all return a report (see its ``outcome``), recorded in the history.
        """
        strategy = strategy or Strategy(self.config.strategy)
        attempt = Attempt(release=release, strategy=strategy.value)
        self._t0 = time.monotonic()
        if strategy not in self.driver.strategies:
            raise DeployError(
                f"the {self.driver.name} driver cannot do {strategy.value} "
                f"(it supports: {', '.join(sorted(s.value for s in self.driver.strategies))})"
            )
        attempt.plan = tuple(self.driver.plan(release, strategy))
        async with httpx.AsyncClient(follow_redirects=False) as client:
            if dry_run:
                attempt.gates = tuple(await self.gates(release, client))
                attempt.previous = (await self.driver.state()).stable
                return self.recorder.report(
                    attempt, DeployOutcome.DRY_RUN, "dry run: nothing was changed", record=False
                )
            async with self._locked():
                return await self._deploy_locked(attempt, strategy, client, stop or asyncio.Event())

    async def _deploy_locked(
        self, attempt: Attempt, strategy: Strategy, client: httpx.AsyncClient, stop: asyncio.Event
    ) -> DeployReport:
        release = attempt.release
        attempt.gates = tuple(await self.gates(release, client))
        refused = [g.detail for g in attempt.gates if not g.passed]
        if refused:
            reasons = "; ".join(refused)
            self.emit(DeployEvent(kind="outcome", message=f"refused: {reasons}"))
            return self.recorder.report(attempt, DeployOutcome.REFUSED, f"pre-deploy gate refused: {reasons}")
        previous = attempt.previous = (await self.driver.state()).stable
        if previous is not None and previous.version == release.version and strategy is not Strategy.ROLLING:
            raise DeployError(f"{release.version} is already the running version")
        self.log(
            f"deploying {release.describe()} over {previous.describe() if previous else 'nothing'} "
            f"({strategy.value})"
        )
        verifier = self._verifier(client)
        run = Run(
            driver=self.driver,
            config=self.config,
            release=release,
            previous=previous,
            verifier=verifier,
            emit=self.emit,
        )
        failure = await self._carry_out(run, strategy, stop)
        analyses = tuple(verifier.analyses)
        if failure is None:
            self.log(f"deploy of {release.version} succeeded")
            self.emit(DeployEvent(kind="outcome", message=f"{release.version} is live"))
            return self.recorder.report(
                attempt, DeployOutcome.SUCCEEDED, f"{release.version} verified and live", analyses=analyses
            )
        progress = run.progress
        detected = progress.detected_at = time.monotonic()
        self.log(f"FAILED: {failure}")
        ttd = detected - progress.traffic_at if progress.traffic_at is not None else None
        outcome, verified = await undo(run)
        ttr = time.monotonic() - detected
        self.emit(DeployEvent(kind="outcome", message=f"{outcome.value}: {failure}"))
        return self.recorder.report(
            attempt,
            outcome,
            failure,
            analyses=tuple(verifier.analyses),
            ttd=ttd,
            ttr=ttr,
            verified=verified,
        )

    async def _carry_out(self, run: Run, strategy: Strategy, stop: asyncio.Event) -> str | None:
        """Run the strategy until it ends, fails, times out or ``stop`` is set; why it failed."""
        task = asyncio.create_task(STRATEGIES[strategy](run))
        waiter = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait(
                {task, waiter}, timeout=self.config.timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                exc = task.exception()
                return None if exc is None else _describe_failure(exc)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if stop.is_set():
                return "interrupted (SIGINT/SIGTERM): rolling back"
            return f"deploy timed out after {self.config.timeout:g}s"
        finally:
            waiter.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def _verifier(self, client: httpx.AsyncClient) -> Verifier:
        return Verifier(
            spec=self.spec,
            env_name=self.env_name,
            verify=self.config.verify,
            client=client,
            log=self.log,
            registry=self.registry,
            variables=self.variables,
        )

    # -- manual rollback --------------------------------------------------------------------

    async def rollback(self, *, to_version: str | None = None) -> DeployReport:
        """Roll back by hand to ``to_version`` or to the previous good version; verify it."""
        started = datetime.now(UTC)
        self._t0 = time.monotonic()
        async with httpx.AsyncClient() as client:
            async with self._locked():
                return await self._rollback_locked(to_version, started, client)

    async def _rollback_target(self, to_version: str | None, state: DriverState) -> Release:
        current = state.stable
        if to_version is not None:
            return Release(version=to_version, vars=self.recorder.vars_for(to_version))
        if state.standby is not None:
            return state.standby
        found = await asyncio.to_thread(self.recorder.previous_good, current.version if current else None)
        if found is None:
            raise DeployError(
                f"no previous good deploy of {self.service} in {self.env_name} is recorded; "
                "name one with --to VERSION"
            )
        return found

    async def _rollback_locked(
        self, to_version: str | None, started: datetime, client: httpx.AsyncClient
    ) -> DeployReport:
        state = await self.driver.state()
        current = state.stable
        target = await self._rollback_target(to_version, state)
        attempt = Attempt(release=target, strategy=ROLLBACK_STRATEGY, started=started, previous=current)
        self.log(
            f"manual rollback from {current.describe() if current else 'unknown'} to {target.describe()}"
        )
        t = time.monotonic()
        verifier = self._verifier(client)
        try:
            await self.driver.rollback(target)
            state = await self.driver.state()
            await verifier.rollback_check(state.entry_url or verifier.base_url(), what=target.version)
        except GoliveError as exc:
            self.log(f"ROLLBACK FAILED: {exc}")
            return self.recorder.report(
                attempt, DeployOutcome.ROLLBACK_FAILED, str(exc), ttr=time.monotonic() - t, verified=False
            )
        ttr = time.monotonic() - t
        self.log(f"rolled back to {target.version} in {ttr:.2f}s, verified")
        return self.recorder.report(
            attempt,
            DeployOutcome.SUCCEEDED,
            f"rolled back from {current.version if current else 'unknown'} to {target.version}",
            ttr=ttr,
            verified=True,
        )
