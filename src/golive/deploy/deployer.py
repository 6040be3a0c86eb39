"""The deploy run: lock, pre-deploy gates, strategy, automatic rollback, record, report.

:class:`Deployer` is what ``golive deploy``, ``golive rollback`` and the ``deploy.drill``
check call. It never prints: progress goes to an ``emit`` callback and a log that ends
up in the report.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from golive import _interpolate
from golive._process import run_process
from golive.checks.registry import CheckRegistry
from golive.deploy.base import (
    DeployError,
    DeployLocked,
    DeployOutcome,
    Driver,
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
from golive.results import Tier
from golive.spec import Spec

ROLLBACK_STRATEGY = "rollback"
"""The ``strategy`` recorded for a manual ``golive rollback``."""


def make_driver(config: DeployConfig, *, spec: Spec, env_name: str, environ: Mapping[str, str]) -> Driver:
    """The driver the config names."""
    d = config.driver
    if isinstance(d, LocalDriverConfig):
        return LocalDriver(d, workdir=spec.root, environment=env_name, environ=environ)
    if isinstance(d, CommandDriverConfig):
        return CommandDriver(d, workdir=spec.root, environ=environ)
    if isinstance(d, KubernetesDriverConfig):
        return KubernetesDriver(d, workdir=spec.root, environ=environ)
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
        """``driver`` defaults to the one the config names; ``emit`` receives progress."""
        if env_name not in spec.environments:
            raise DeployError(
                f"unknown environment {env_name!r}; the spec defines: {', '.join(spec.environments)}"
            )
        self.spec = spec
        self.config = config
        self.env_name = env_name
        self.environment = spec.environments[env_name]
        self.store = store
        self.environ = dict(environ if environ is not None else os.environ)
        self.driver = driver or make_driver(config, spec=spec, env_name=env_name, environ=self.environ)
        self.emit = emit or (lambda _e: None)
        self.actor = actor or default_actor()
        self.registry = registry
        self.record = record
        self.holder = f"{self.actor}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._log: list[str] = []
        self._t0 = time.monotonic()

    # -- logging ----------------------------------------------------------------------------

    def log(self, message: str) -> None:
        """Add a timestamped line to the report's log and pass it on as an event."""
        line = f"+{time.monotonic() - self._t0:6.2f}s {message}"
        self._log.append(line)
        self.emit(DeployEvent(kind="log", message=message))

    @property
    def service(self) -> str:
        """The service name from the spec."""
        return self.spec.service.name

    # -- gates ------------------------------------------------------------------------------

    async def _gate_review(self) -> GateResult:
        gate = self.config.gates.review
        if not gate.enabled:
            return GateResult(name="review", passed=True, skipped=True, detail="disabled")
        review = await asyncio.to_thread(self.store.latest, self.service, self.env_name)
        problem = None
        if review is None:
            problem = f"no complete review of {self.service} in {self.env_name} is recorded"
        else:
            age = (datetime.now(UTC) - review.finished_at).total_seconds()
            if review.decision.value != "GO":
                problem = (
                    f"the latest review ({review.finished_at:%Y-%m-%d %H:%M}) is {review.decision.value}"
                )
            elif age > gate.max_age:
                problem = f"the latest review is {age / 3600:.1f}h old (limit {gate.max_age / 3600:g}h)"
            else:
                return GateResult(
                    name="review",
                    passed=True,
                    detail=f"latest review GO, {review.scorecard.readiness:.0f}% ready, "
                    f"{age / 60:.0f} min old",
                )
        if gate.run_must:
            return await self._run_must(problem or "")
        return GateResult(name="review", passed=False, detail=problem or "")

    async def _run_must(self, why: str) -> GateResult:
        from golive.engine import ReviewOptions, Runner

        self.log(f"gate review: {why}; running the must tier now")
        registry = self.registry or CheckRegistry.default()
        options = ReviewOptions(
            environment=self.env_name,
            tier=Tier.MUST,
            artifacts_dir=self.spec.root / ".golive" / "deploys" / "artifacts" / "gate",
            environ=self.environ,
        )
        review = await Runner(self.spec, registry, options).run()
        must = [r for r in review.results if r.tier is Tier.MUST]
        failed = [r.criterion_id for r in must if not r.passed]
        await asyncio.to_thread(self.store.save_review, review)
        if failed or not must:
            detail = f"{why}; must tier run now: {len(failed)} of {len(must)} failed ({', '.join(failed)})"
            return GateResult(name="review", passed=False, detail=detail)
        return GateResult(
            name="review", passed=True, detail=f"{why}; must tier run now: {len(must)} of {len(must)} passed"
        )

    async def _gate_alerts(self, client: httpx.AsyncClient) -> GateResult:
        gate = self.config.gates.alerts
        if not gate.enabled:
            return GateResult(name="alerts", passed=True, skipped=True, detail="disabled")
        raw = gate.prometheus_url or self.environment.prometheus_url
        if not raw:
            return GateResult(
                name="alerts", passed=True, skipped=True, detail="no prometheus_url for this environment"
            )
        url = _interpolate.resolve(raw, {**self.environ, **self.environment.vars}).rstrip("/")
        try:
            body = (await client.get(f"{url}/api/v1/alerts", timeout=10.0)).json()
        except (httpx.HTTPError, ValueError) as exc:
            return GateResult(name="alerts", passed=False, detail=f"cannot ask {url} for alerts: {exc!r}")
        wanted = {s.lower() for s in gate.severities}
        firing = [
            a.get("labels", {})
            for a in body.get("data", {}).get("alerts", [])
            if a.get("state") == "firing"
            and str(a.get("labels", {}).get(gate.severity_label, "")).lower() in wanted
        ]
        if firing:
            names = ", ".join(sorted({str(lbl.get("alertname", "?")) for lbl in firing}))
            return GateResult(
                name="alerts", passed=False, detail=f"{len(firing)} blocking alert(s) firing: {names}"
            )
        return GateResult(
            name="alerts", passed=True, detail=f"no {'/'.join(gate.severities)} alert firing at {url}"
        )

    async def _gate_artifact(self, release: Release) -> GateResult | None:
        gate = self.config.gates.artifact
        if gate is None:
            return None
        values = {**self.environ, "VERSION": release.version}
        try:
            command: str | list[str] = (
                _interpolate.resolve(gate.command, values)
                if isinstance(gate.command, str)
                else [_interpolate.resolve(a, values) for a in gate.command]
            )
        except _interpolate.MissingVariableError as exc:
            return GateResult(name="artifact", passed=False, detail=str(exc))
        result = await run_process(
            command,
            shell=isinstance(command, str),
            cwd=self.spec.root,
            env={"VERSION": release.version},
            timeout=gate.timeout,
        )
        if result.returncode == 0 and not result.timed_out:
            return GateResult(name="artifact", passed=True, detail=f"{result.command_line} exited 0")
        why = "timed out" if result.timed_out else f"exited {result.returncode}"
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        return GateResult(
            name="artifact", passed=False, detail=f"{result.command_line} {why} {tail[0][:200]}"
        )

    async def gates(self, release: Release, client: httpx.AsyncClient) -> list[GateResult]:
        """Every enabled gate's verdict (all are evaluated, so a refusal lists every reason)."""
        results = [await self._gate_review(), await self._gate_alerts(client)]
        artifact = await self._gate_artifact(release)
        if artifact is not None:
            results.append(artifact)
        for g in results:
            self.log(
                f"gate {g.name}: {'skipped' if g.skipped else 'pass' if g.passed else 'FAIL'}: {g.detail}"
            )
        return results

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
        stop = stop or asyncio.Event()
        started = datetime.now(UTC)
        self._t0 = time.monotonic()
        if strategy not in self.driver.strategies:
            raise DeployError(
                f"the {self.driver.name} driver cannot do {strategy.value} "
                f"(it supports: {', '.join(sorted(s.value for s in self.driver.strategies))})"
            )
        plan = self.driver.plan(release, strategy)
        async with httpx.AsyncClient(follow_redirects=False) as client:
            if dry_run:
                gates = await self.gates(release, client)
                state = await self.driver.state()
                return self._report(
                    release,
                    strategy,
                    started,
                    DeployOutcome.DRY_RUN,
                    "dry run: nothing was changed",
                    previous=state.stable,
                    gates=gates,
                    plan=plan,
                    record=False,
                )
            await asyncio.to_thread(self._acquire)
            try:
                return await self._deploy_locked(release, strategy, started, plan, client, stop)
            finally:
                await asyncio.to_thread(self._release_lock)
                await self.driver.close()

    async def _deploy_locked(
        self,
        release: Release,
        strategy: Strategy,
        started: datetime,
        plan: list[str],
        client: httpx.AsyncClient,
        stop: asyncio.Event,
    ) -> DeployReport:
        gates = await self.gates(release, client)
        if any(not g.passed for g in gates):
            reasons = "; ".join(g.detail for g in gates if not g.passed)
            self.emit(DeployEvent(kind="outcome", message=f"refused: {reasons}"))
            return self._report(
                release,
                strategy,
                started,
                DeployOutcome.REFUSED,
                f"pre-deploy gate refused: {reasons}",
                gates=gates,
                plan=plan,
            )
        state = await self.driver.state()
        previous = state.stable
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
        task = asyncio.create_task(STRATEGIES[strategy](run))
        waiter = asyncio.create_task(stop.wait())
        failure: str | None = None
        try:
            done, _ = await asyncio.wait(
                {task, waiter}, timeout=self.config.timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                exc = task.exception()
                if exc is not None:
                    failure = self._describe_failure(exc)
            else:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                failure = (
                    "interrupted (SIGINT/SIGTERM): rolling back"
                    if stop.is_set()
                    else f"deploy timed out after {self.config.timeout:g}s"
                )
        finally:
            waiter.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if failure is None:
            self.log(f"deploy of {release.version} succeeded")
            self.emit(DeployEvent(kind="outcome", message=f"{release.version} is live"))
            return self._report(
                release,
                strategy,
                started,
                DeployOutcome.SUCCEEDED,
                f"{release.version} verified and live",
                previous=previous,
                gates=gates,
                plan=plan,
                analyses=tuple(verifier.analyses),
            )
        run.progress.detected_at = time.monotonic()
        self.log(f"FAILED: {failure}")
        ttd = (
            run.progress.detected_at - run.progress.traffic_at
            if run.progress.traffic_at is not None
            else None
        )
        outcome, verified = await self._undo(run, verifier)
        ttr = time.monotonic() - run.progress.detected_at
        self.emit(DeployEvent(kind="outcome", message=f"{outcome.value}: {failure}"))
        return self._report(
            release,
            strategy,
            started,
            outcome,
            failure,
            previous=previous,
            gates=gates,
            plan=plan,
            analyses=tuple(verifier.analyses),
            ttd=ttd,
            ttr=ttr,
            verified=verified,
        )

    def _describe_failure(self, exc: BaseException) -> str:
        if isinstance(exc, VerificationFailed):
            return f"verification failed: {exc}"
        if isinstance(exc, GoliveError):
            return f"deploy step failed: {exc}"
        return f"unexpected error: {type(exc).__name__}: {exc}"

    def _verifier(self, client: httpx.AsyncClient) -> Verifier:
        return Verifier(
            spec=self.spec,
            env_name=self.env_name,
            verify=self.config.verify,
            client=client,
            log=self.log,
            registry=self.registry,
            environ=self.environ,
        )

    async def _undo(self, run: Run, verifier: Verifier) -> tuple[DeployOutcome, bool | None]:
        """Undo what the strategy did; shielded so a second signal cannot stop it half-way."""
        return await asyncio.shield(self._undo_inner(run, verifier))

    async def _undo_inner(self, run: Run, verifier: Verifier) -> tuple[DeployOutcome, bool | None]:
        p = run.progress
        self.emit(DeployEvent(kind="step", message="rollback"))
        try:
            state = await self.driver.state()
            if state.candidate is not None:
                self.log(
                    f"rollback: traffic back to {run.previous.version if run.previous else 'nothing'}; "
                    f"stop {state.candidate.version}"
                )
                await self.driver.abort_candidate()
            elif p.switched and state.standby is not None:
                self.log(f"rollback: switch back to standby {state.standby.version}")
                await self.driver.switch_back()
            elif p.deployed or p.switched:
                if run.previous is None:
                    live = state.stable
                    if live is None or live.version != run.release.version:
                        self.log("the new version never went live and nothing ran before: nothing to undo")
                        return DeployOutcome.ROLLED_BACK, None
                    self.log("no previous version to roll back to; the failed version stays")
                    return DeployOutcome.ROLLBACK_FAILED, False
                self.log(f"rollback: redeploy {run.previous.describe()}")
                await self.driver.rollback(run.previous)
            else:
                self.log("rollback: nothing had changed")
        except GoliveError as exc:
            self.log(f"ROLLBACK FAILED: {exc}")
            return DeployOutcome.ROLLBACK_FAILED, False
        if run.previous is None:
            return DeployOutcome.ROLLED_BACK, None
        try:
            state = await self.driver.state()
            url = state.entry_url or verifier.base_url()
            await verifier.rollback_check(url, what=f"{run.previous.version} after rollback")
        except GoliveError as exc:
            self.log(f"ROLLBACK NOT VERIFIED: {exc}")
            return DeployOutcome.ROLLBACK_FAILED, False
        self.log(f"rollback to {run.previous.version} verified")
        return DeployOutcome.ROLLED_BACK, True

    # -- manual rollback --------------------------------------------------------------------

    def previous_good(self, current: str | None) -> Release | None:
        """The newest successfully deployed version other than ``current``, from the history."""
        for rec in self.store.deploys(self.service, self.env_name):
            if rec.outcome != DeployOutcome.SUCCEEDED.value or rec.version == current:
                continue
            return Release(version=rec.version, vars=_vars_of(rec.report_json))
        return None

    async def rollback(self, *, to_version: str | None = None) -> DeployReport:
        """Roll back by hand to ``to_version`` or to the previous good version; verify it."""
        started = datetime.now(UTC)
        self._t0 = time.monotonic()
        async with httpx.AsyncClient() as client:
            await asyncio.to_thread(self._acquire)
            try:
                state = await self.driver.state()
                current = state.stable
                if to_version is not None:
                    target = Release(version=to_version, vars=self._vars_for(to_version))
                elif state.standby is not None:
                    target = state.standby
                else:
                    found = await asyncio.to_thread(self.previous_good, current.version if current else None)
                    if found is None:
                        raise DeployError(
                            f"no previous good deploy of {self.service} in {self.env_name} is recorded; "
                            "name one with --to VERSION"
                        )
                    target = found
                self.log(
                    f"manual rollback from {current.describe() if current else 'unknown'} "
                    f"to {target.describe()}"
                )
                t = time.monotonic()
                verifier = self._verifier(client)
                try:
                    await self.driver.rollback(target)
                    state = await self.driver.state()
                    await verifier.rollback_check(state.entry_url or verifier.base_url(), what=target.version)
                except GoliveError as exc:
                    self.log(f"ROLLBACK FAILED: {exc}")
                    return self._report(
                        target,
                        ROLLBACK_STRATEGY,
                        started,
                        DeployOutcome.ROLLBACK_FAILED,
                        str(exc),
                        previous=current,
                        ttr=time.monotonic() - t,
                        verified=False,
                    )
                ttr = time.monotonic() - t
                self.log(f"rolled back to {target.version} in {ttr:.2f}s, verified")
                return self._report(
                    target,
                    ROLLBACK_STRATEGY,
                    started,
                    DeployOutcome.SUCCEEDED,
                    f"rolled back from {current.version if current else 'unknown'} to {target.version}",
                    previous=current,
                    ttr=ttr,
                    verified=True,
                )
            finally:
                await asyncio.to_thread(self._release_lock)
                await self.driver.close()

    def _vars_for(self, version: str) -> dict[str, str]:
        for rec in self.store.deploys(self.service, self.env_name):
            if rec.version == version and rec.outcome == DeployOutcome.SUCCEEDED.value:
                return _vars_of(rec.report_json)
        return {}

    # -- report -----------------------------------------------------------------------------

    def _report(
        self,
        release: Release,
        strategy: Strategy | str,
        started: datetime,
        outcome: DeployOutcome,
        reason: str,
        *,
        previous: Release | None = None,
        gates: list[GateResult] | tuple[GateResult, ...] = (),
        plan: list[str] | tuple[str, ...] = (),
        analyses: tuple[Any, ...] = (),
        ttd: float | None = None,
        ttr: float | None = None,
        verified: bool | None = None,
        record: bool = True,
    ) -> DeployReport:
        report = DeployReport(
            service=self.service,
            environment=self.env_name,
            release=release,
            strategy=str(strategy.value if isinstance(strategy, Strategy) else strategy),
            driver=self.driver.name,
            actor=self.actor,
            started_at=started,
            finished_at=datetime.now(UTC),
            outcome=outcome,
            reason=reason,
            previous=previous,
            gates=tuple(gates),
            analyses=analyses,
            plan=tuple(plan),
            log=tuple(self._log),
            time_to_detect_s=ttd,
            time_to_rollback_s=ttr,
            rollback_verified=verified,
        )
        if record and self.record:
            deploy_id = self.store.add_deploy(
                service=report.service,
                environment=report.environment,
                version=release.version,
                strategy=report.strategy,
                started_at=report.started_at,
                finished_at=report.finished_at,
                outcome=outcome.value,
                actor=self.actor,
                report_json=report.to_json(),
            )
            report = _with_id(report, deploy_id)
        return report


def _with_id(report: DeployReport, deploy_id: int) -> DeployReport:
    from dataclasses import replace

    return replace(report, deploy_id=deploy_id)


def _vars_of(report_json: str) -> dict[str, str]:
    try:
        data = json.loads(report_json)
        raw = data.get("release", {}).get("vars", {})
        return {str(k): str(v) for k, v in raw.items()}
    except (ValueError, AttributeError):
        return {}


def reports_dir(spec: Spec) -> Path:
    """Where deploy reports are written by default."""
    return spec.root / ".golive" / "deploys"
