"""The ``deploy.drill`` check: deploy a deliberately bad version and prove the rollback fires.

Rollback that is never exercised is not a safety net. The drill deploys the version the
params describe (e.g. storefront with ``FAULT_ERROR_RATE=0.5``) with the configured
verification; it passes when golive detects the failure, rolls back, verifies the
previous version, and both times stay within their targets.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from golive.checks.base import Check, CheckContext, CheckError, Params
from golive.deploy.base import DeployOutcome, Release, Strategy
from golive.results import Evidence, Measurement, Outcome, Status
from golive.spec import Duration


class DeployDrillParams(Params):
    """What bad version to deploy, how, and how fast the rollback must be."""

    version: str = Field(default="0.0.0-drill", min_length=1, description="Name of the bad version.")
    vars: dict[str, str] = Field(
        default_factory=dict, description="Settings that make it bad, e.g. FAULT_ERROR_RATE: '0.5'."
    )
    strategy: Literal["rolling", "canary", "blue-green"] = "canary"
    baseline_version: str | None = Field(
        default=None, description="Deployed first (rolling) when nothing runs yet."
    )
    config: str | None = Field(default=None, description="Deploy config file [default: deploy.yaml].")
    store: str | None = Field(default=None, description="History store URL for the drill's record.")
    max_time_to_detect: Duration = Field(default=120.0, gt=0)
    max_time_to_rollback: Duration = Field(default=60.0, gt=0)
    environments: list[str] = Field(
        default_factory=lambda: ["staging", "local", "dev", "test"],
        description="Environments a drill may run in without --allow-destructive.",
    )


class DeployDrillCheck:
    """Deploys a bad version on purpose and measures time-to-detect and time-to-rollback."""

    #: Disrupts the service (faults, bursts of traffic): the engine runs it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "deploy.drill"
    description: ClassVar[str] = "Deploy a deliberately bad version; the automatic rollback must fire in time"
    Params: ClassVar[type[DeployDrillParams]] = DeployDrillParams

    async def run(self, params: DeployDrillParams, ctx: CheckContext) -> Outcome:
        """Run the drill against the environment under review."""
        from golive.checks.registry import CheckRegistry
        from golive.deploy.config import load_deploy_config
        from golive.deploy.deployer import Deployer
        from golive.deploy.local import LocalDriver
        from golive.history.store import open_store
        from golive.spec import SpecLoader

        if ctx.environment_name not in params.environments and not ctx.options.get("allow_destructive"):
            return Outcome(
                status=Status.SKIPPED,
                summary=f"a deploy drill in {ctx.environment_name!r} needs --allow-destructive "
                f"(allowed without it: {', '.join(params.environments)})",
            )
        registry = CheckRegistry.default()
        spec = SpecLoader(registry).load(ctx.workdir)
        config = load_deploy_config(spec, ctx.path(params.config) if params.config else None)
        # A drill is not a release: the gates guard real deploys, not this exercise.
        gates = config.gates.model_copy(
            update={
                "review": config.gates.review.model_copy(update={"enabled": False}),
                "alerts": config.gates.alerts.model_copy(update={"enabled": False}),
                "artifact": None,
            }
        )
        config = config.model_copy(update={"gates": gates})
        strategy = Strategy(params.strategy)
        ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
        with open_store(params.store, root=spec.root) as store:
            deployer = Deployer(
                spec=spec,
                config=config,
                env_name=ctx.environment_name,
                store=store,
                environ=ctx.environ,
                actor="golive deploy.drill",
                registry=registry,
            )
            state = await deployer.driver.state()
            own_baseline = state.stable is None
            if own_baseline:
                if params.baseline_version is None:
                    raise CheckError(
                        f"nothing is deployed in {ctx.environment_name!r}: deploy a good version first "
                        "or set baseline_version"
                    )
                base = await deployer.deploy(
                    Release(version=params.baseline_version), strategy=Strategy.ROLLING
                )
                if base.outcome is not DeployOutcome.SUCCEEDED:
                    raise CheckError(f"the baseline {params.baseline_version} did not deploy: {base.reason}")
            report = await Deployer(
                spec=spec,
                config=config,
                env_name=ctx.environment_name,
                store=store,
                environ=ctx.environ,
                actor="golive deploy.drill",
                registry=registry,
                driver=deployer.driver,
            ).deploy(Release(version=params.version, vars=params.vars), strategy=strategy)
            if own_baseline and isinstance(deployer.driver, LocalDriver):
                # The drill started the local deployment, so it leaves nothing running.
                await deployer.driver.down()
        from golive.deploy.report import write_report

        artifacts = tuple(str(p) for p in write_report(report, ctx.artifacts_dir))
        ttd, ttr = report.time_to_detect_s, report.time_to_rollback_s
        measurements = []
        if ttd is not None:
            measurements.append(
                Measurement(
                    name="time_to_detect",
                    value=round(ttd, 2),
                    unit="s",
                    target=f"<= {params.max_time_to_detect:g}s",
                )
            )
        if ttr is not None:
            measurements.append(
                Measurement(
                    name="time_to_rollback",
                    value=round(ttr, 2),
                    unit="s",
                    target=f"<= {params.max_time_to_rollback:g}s",
                )
            )
        evidence = Evidence(excerpt="\n".join(report.log[-40:]), artifacts=artifacts)
        reproducer = (
            f"golive deploy {spec.root} --env {ctx.environment_name} --version {params.version} "
            f"--strategy {strategy.value}" + "".join(f" --var {k}={v}" for k, v in params.vars.items())
        )
        problems = []
        if report.outcome is DeployOutcome.SUCCEEDED:
            problems.append(f"the bad version {params.version} passed verification and is LIVE")
        elif report.outcome is not DeployOutcome.ROLLED_BACK:
            problems.append(f"deploy ended {report.outcome.value}: {report.reason}")
        elif not report.rollback_verified:
            problems.append("the rollback was not verified")
        if ttd is not None and ttd > params.max_time_to_detect:
            problems.append(f"time to detect {ttd:.1f}s > {params.max_time_to_detect:g}s")
        if ttr is not None and ttr > params.max_time_to_rollback:
            problems.append(f"time to roll back {ttr:.1f}s > {params.max_time_to_rollback:g}s")
        times = (
            f"detected in {ttd:.1f}s (target {params.max_time_to_detect:g}s), "
            f"rolled back in {ttr:.1f}s (target {params.max_time_to_rollback:g}s)"
            if ttd is not None and ttr is not None
            else "no timings"
        )
        if problems:
            return Outcome(
                status=Status.FAIL,
                summary=f"deploy drill of {params.version}: " + "; ".join(problems) + f" ({times})",
                measurements=tuple(measurements),
                evidence=evidence,
                reproducer=reproducer,
            )
        return Outcome(
            status=Status.PASS,
            summary=f"bad version {params.version} {times}; "
            f"{report.previous.version if report.previous else 'the previous version'} serves again",
            measurements=tuple(measurements),
            evidence=evidence,
            reproducer=reproducer,
        )


CHECK_TYPES: list[type[Check]] = [DeployDrillCheck]
"""The deploy family's check types (picked up by :func:`golive.checks.builtin_types`)."""
