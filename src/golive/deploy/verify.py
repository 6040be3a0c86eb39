"""Verification steps: health endpoint, smoke checks from the spec, analysis, rollback check."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from golive.checks.registry import CheckRegistry
from golive.deploy.analysis import (
    AnalysisResult,
    ProbeProvider,
    PrometheusProvider,
    Provider,
    Target,
    run_analysis,
)
from golive.deploy.base import DeployError
from golive.deploy.config import Analysis, Verify
from golive.errors import GoliveError
from golive.kit.check import CheckContext
from golive.kit.environment import MissingVariableError, Variables
from golive.results import Status
from golive.spec import Spec


class VerificationFailed(DeployError):
    """The new version (or a rollback) did not verify; carries the analysis when there was one."""

    def __init__(self, message: str, analysis: AnalysisResult | None = None) -> None:
        super().__init__(message)
        self.analysis = analysis


class Verifier:
    """Runs the configured verification against addresses the strategy gives it."""

    def __init__(
        self,
        *,
        spec: Spec,
        env_name: str,
        verify: Verify,
        client: httpx.AsyncClient,
        log: Callable[[str], None],
        registry: CheckRegistry | None = None,
        variables: Variables | None = None,
        artifacts_dir: Path | None = None,
    ) -> None:
        """``client`` is shared by probes and smoke checks; ``variables`` resolve ``${VAR}``
        (default: the environment's vars over the process environment)."""
        self.spec = spec
        self.env_name, self.environment = spec.environment(env_name)
        self.verify = verify
        self.client = client
        self.log = log
        self.registry = registry
        self.variables = variables or Variables.for_process(self.environment.vars)
        self.artifacts_dir = artifacts_dir or spec.root / ".golive" / "deploys" / "artifacts"
        self.analyses: list[AnalysisResult] = []

    @property
    def health_path(self) -> str:
        """The health path used for new versions and after a rollback."""
        return self.verify.health_path or self.environment.health_path

    def resolve(self, text: str) -> str:
        """``${VAR}`` references from the environment's vars and the process environment."""
        try:
            return self.variables.resolve(text)
        except MissingVariableError as exc:
            raise DeployError(str(exc)) from None

    def base_url(self) -> str:
        """The environment's base URL (where users reach the service when the driver cannot say)."""
        if not self.environment.base_url:
            raise DeployError("the environment has no base_url, and the driver gave no address to verify")
        return self.resolve(self.environment.base_url).rstrip("/")

    async def health(self, url: str, *, what: str) -> None:
        """Wait until ``url`` + health path answers 2xx, up to ``health_timeout``."""
        target = f"{url.rstrip('/')}/{self.health_path.lstrip('/')}"
        deadline = time.monotonic() + self.verify.health_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                r = await self.client.get(target, timeout=2.0)
                if 200 <= r.status_code < 300:
                    self.log(f"health of {what}: GET {target} -> {r.status_code}")
                    return
                last = f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            await asyncio.sleep(0.2)
        raise VerificationFailed(
            f"health of {what}: GET {target} not 2xx within {self.verify.health_timeout:g}s ({last})"
        )

    async def smoke(self, url: str, *, what: str) -> None:
        """Run the spec's criteria named in ``verify.smoke`` with ``base_url`` = ``url``."""
        if not self.verify.smoke:
            return
        registry = self.registry or CheckRegistry.default()
        environment = self.environment.model_copy(update={"base_url": url})
        for cid in self.verify.smoke:
            try:
                criterion = self.spec.criterion(cid)
            except KeyError:
                raise DeployError(
                    f"verify.smoke names {cid!r}, which is not a criterion in golive.yaml"
                ) from None
            check = registry.get(criterion.check.type)()
            ctx = CheckContext(
                criterion_id=cid,
                environment_name=self.env_name,
                environment=environment,
                objectives=self.spec.objectives,
                workdir=self.spec.root,
                artifacts_dir=self.artifacts_dir / cid,
                http=self.client,
                logger=logging.getLogger(f"golive.deploy.smoke.{cid}"),
                timeout=criterion.timeout,
                environ=self.variables.environ,
                spec=self.spec,
            )
            try:
                outcome = await asyncio.wait_for(check.run(criterion.check.params, ctx), criterion.timeout)
            except (GoliveError, TimeoutError) as exc:
                raise VerificationFailed(f"smoke {cid} on {what}: error: {exc}") from None
            self.log(f"smoke {cid} on {what}: {outcome.status.value}: {outcome.summary}")
            if outcome.status is not Status.PASS:
                raise VerificationFailed(f"smoke {cid} on {what}: {outcome.status.value}: {outcome.summary}")

    def provider(self, analysis: Analysis | None = None) -> Provider:
        """The configured analysis provider."""
        analysis = analysis or self.verify.analysis
        if analysis.provider == "probe":
            return ProbeProvider(self.client, analysis)
        url = analysis.prometheus_url or self.environment.prometheus_url
        if not url:
            raise DeployError(
                "analysis provider is prometheus but neither verify.analysis.prometheus_url nor the "
                f"environment {self.env_name!r} has a prometheus_url"
            )
        return PrometheusProvider(self.client, self.resolve(url), analysis)

    async def analyse(self, phase: str, target: Target, *, probe_only: bool = False) -> AnalysisResult:
        """Run the analysis (or, with ``probe_only``, the same analysis with the probe provider)."""
        analysis = self.verify.analysis
        if probe_only and analysis.provider != "probe":
            kept = [m for m in analysis.metrics if m.name in ("success-rate", "latency-p95")]
            analysis = analysis.model_copy(
                update={"provider": "probe", "metrics": kept or analysis.metrics[:0], "initial_delay": 0.0}
            )
            if not kept:
                self.log(f"[{phase}] no probe-able metrics; health and smoke only")
                raise NothingToAnalyse
        result = await run_analysis(analysis, self.provider(analysis), target, phase=phase, log=self.log)
        self.analyses.append(result)
        if not result.passed:
            raise VerificationFailed(f"analysis failed at {phase}: {result.verdict}", result)
        return result

    async def rollback_check(self, url: str, *, what: str) -> None:
        """After a rollback: health, then one probe measurement of the success rate."""
        await self.health(url, what=what)
        probe = ProbeProvider(self.client, self.verify.analysis)
        metric = next((m for m in self.verify.analysis.metrics if m.name == "success-rate"), None)
        floor = metric.min if metric is not None and metric.min is not None else 99.0
        value, _, how = await probe.probe(url)
        rate = value if value is not None else 0.0
        self.log(f"rollback check of {what}: success rate {rate:.1f}% (floor {floor:g}%) [{how}]")
        if rate < floor:
            raise VerificationFailed(f"rollback check of {what}: success rate {rate:.1f}% < {floor:g}%")


class NothingToAnalyse(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by :meth:`Verifier.analyse` with ``probe_only`` when no metric is probe-able."""
