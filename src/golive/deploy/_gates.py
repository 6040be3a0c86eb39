"""Pre-deploy gates: a recent GO review, no blocking alert firing, the version's artifact exists.

Every enabled gate is evaluated (so a refusal lists every reason) before anything changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from golive.checks.registry import CheckRegistry
from golive.deploy.base import Release
from golive.deploy.config import Gates
from golive.deploy.report import GateResult
from golive.history.base import HistoryStore
from golive.kit.environment import MissingVariableError, Variables
from golive.kit.processes import resolve_command, run_process
from golive.kit.prometheus import PrometheusClient, PrometheusError
from golive.results import Tier
from golive.spec import Spec


def describe(gate: GateResult) -> str:
    """``gate review: pass: ...`` for logs and the dry-run output."""
    verdict = "skipped" if gate.skipped else "pass" if gate.passed else "FAIL"
    return f"gate {gate.name}: {verdict}: {gate.detail}"


@dataclass(frozen=True, kw_only=True)
class GateKeeper:
    """Evaluates the configured gates for one service and environment."""

    spec: Spec
    gates: Gates
    env_name: str
    store: HistoryStore
    variables: Variables
    log: Callable[[str], None]
    registry: CheckRegistry | None = None

    @property
    def service(self) -> str:
        """The service name from the spec."""
        return self.spec.service.name

    async def evaluate(self, release: Release, client: httpx.AsyncClient) -> list[GateResult]:
        """Every enabled gate's verdict, logged."""
        results = [await self._review(), await self._alerts(client)]
        artifact = await self._artifact(release)
        if artifact is not None:
            results.append(artifact)
        for gate in results:
            self.log(describe(gate))
        return results

    async def _review(self) -> GateResult:
        gate = self.gates.review
        if not gate.enabled:
            return GateResult(name="review", passed=True, skipped=True, detail="disabled")
        review = await asyncio.to_thread(self.store.latest, self.service, self.env_name)
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
            return await self._run_must(problem)
        return GateResult(name="review", passed=False, detail=problem)

    async def _run_must(self, why: str) -> GateResult:
        from golive.engine import ReviewOptions, Runner

        self.log(f"gate review: {why}; running the must tier now")
        options = ReviewOptions(
            environment=self.env_name,
            tier=Tier.MUST,
            artifacts_dir=self.spec.root / ".golive" / "deploys" / "artifacts" / "gate",
            environ=self.variables.environ,
        )
        review = await Runner(self.spec, self.registry or CheckRegistry.default(), options).run()
        must = [r for r in review.results if r.tier is Tier.MUST]
        failed = [r.criterion_id for r in must if not r.passed]
        await asyncio.to_thread(self.store.save_review, review)
        if failed or not must:
            detail = f"{why}; must tier run now: {len(failed)} of {len(must)} failed ({', '.join(failed)})"
            return GateResult(name="review", passed=False, detail=detail)
        return GateResult(
            name="review", passed=True, detail=f"{why}; must tier run now: {len(must)} of {len(must)} passed"
        )

    async def _alerts(self, client: httpx.AsyncClient) -> GateResult:
        gate = self.gates.alerts
        if not gate.enabled:
            return GateResult(name="alerts", passed=True, skipped=True, detail="disabled")
        _, environment = self.spec.environment(self.env_name)
        raw = gate.prometheus_url or environment.prometheus_url
        if not raw:
            return GateResult(
                name="alerts", passed=True, skipped=True, detail="no prometheus_url for this environment"
            )
        try:
            prometheus = PrometheusClient(client, self.variables.resolve(raw))
            alerts = await prometheus.alerts()
        except (MissingVariableError, PrometheusError) as exc:
            return GateResult(name="alerts", passed=False, detail=f"cannot ask {raw} for alerts: {exc}")
        wanted = {s.lower() for s in gate.severities}
        firing = [
            a
            for a in alerts
            if a.state == "firing" and str(a.labels.get(gate.severity_label, "")).lower() in wanted
        ]
        if firing:
            names = ", ".join(sorted({a.name or "?" for a in firing}))
            return GateResult(
                name="alerts", passed=False, detail=f"{len(firing)} blocking alert(s) firing: {names}"
            )
        return GateResult(
            name="alerts",
            passed=True,
            detail=f"no {'/'.join(gate.severities)} alert firing at {prometheus.base_url}",
        )

    async def _artifact(self, release: Release) -> GateResult | None:
        gate = self.gates.artifact
        if gate is None:
            return None
        values = self.variables.with_vars({"VERSION": release.version})
        try:
            # The shell reads the version from the environment: it is data, not command text.
            command = resolve_command(values, gate.command, from_env=("VERSION",))
        except MissingVariableError as exc:
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
