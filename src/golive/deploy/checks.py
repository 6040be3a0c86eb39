"""The ``deploy.drill`` check: deploy a deliberately bad version and prove the rollback fires.

Rollback that is never exercised is not a safety net. The drill deploys the version the
params describe (e.g. storefront with ``FAULT_ERROR_RATE=0.5``) with the configured
verification; it passes when golive detects the failure, rolls back, verifies the
previous version, and both times stay within their targets.

A drill is destructive (it puts a broken version in front of users for a while), so it
follows golive's one destructive-step policy (:meth:`~golive.kit.CheckContext.destructive_refusal`):
allowed outside production; in production only when the environment sets
``allow_destructive: true`` and the review runs with ``--allow-destructive``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from golive.deploy.base import DeployOutcome, Driver, Release, Strategy
from golive.deploy.config import DeployConfig, load_deploy_config
from golive.kit.check import CheckContext, CheckError, Params
from golive.kit.outcomes import Findings
from golive.results import Evidence, Outcome, Status
from golive.spec import Duration, Spec

if TYPE_CHECKING:
    from golive.deploy.deployer import Deployer
    from golive.deploy.report import DeployReport

DRILL_ACTOR = "golive deploy.drill"
"""The actor recorded in the history for a drill's deploys."""


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


class DeployDrillCheck:
    """Deploys a bad version on purpose and measures time-to-detect and time-to-rollback."""

    #: Disrupts the service (faults, bursts of traffic): the engine runs it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "deploy.drill"
    description: ClassVar[str] = "Deploy a deliberately bad version; the automatic rollback must fire in time"
    Params: ClassVar[type[DeployDrillParams]] = DeployDrillParams

    async def run(self, params: DeployDrillParams, ctx: CheckContext) -> Outcome:
        """Run the drill against the environment under review (skipped where refused)."""
        refusal = ctx.destructive_refusal("a deploy drill")
        if refusal:
            return Outcome(status=Status.SKIPPED, summary=refusal)
        if ctx.spec is None:
            raise CheckError("deploy.drill needs the spec under review in its context")
        config = _drill_config(ctx.spec, params, ctx)
        report = await _drill(ctx.spec, config, params, ctx)
        return _judge(report, params, ctx, ctx.spec)


def _drill_config(spec: Spec, params: DeployDrillParams, ctx: CheckContext) -> DeployConfig:
    """The spec's deploy settings with the gates off: a drill is not a release."""
    config = load_deploy_config(spec, ctx.path(params.config) if params.config else None)
    gates = config.gates.model_copy(
        update={
            "review": config.gates.review.model_copy(update={"enabled": False}),
            "alerts": config.gates.alerts.model_copy(update={"enabled": False}),
            "artifact": None,
        }
    )
    return config.model_copy(update={"gates": gates})


async def _drill(
    spec: Spec, config: DeployConfig, params: DeployDrillParams, ctx: CheckContext
) -> DeployReport:
    """Deploy the bad version (after a baseline when nothing runs) and return its report."""
    from golive.deploy.deployer import Deployer
    from golive.deploy.local import LocalDriver
    from golive.history.store import open_store

    with open_store(params.store, root=spec.root) as store:

        def deployer(driver: Driver | None = None) -> Deployer:
            return Deployer(
                spec=spec,
                config=config,
                env_name=ctx.environment_name,
                store=store,
                environ=ctx.environ,
                actor=DRILL_ACTOR,
                driver=driver,
            )

        first = deployer()
        own_baseline = await _ensure_baseline(first, params, ctx.environment_name)
        # A fresh deployer (fresh log) for the drill itself, on the same driver.
        report = await deployer(first.driver).deploy(
            Release(version=params.version, vars=params.vars), strategy=Strategy(params.strategy)
        )
        if own_baseline and isinstance(first.driver, LocalDriver):
            # The drill started the local deployment, so it leaves nothing running.
            await first.driver.down()
    return report


async def _ensure_baseline(deployer: Deployer, params: DeployDrillParams, env_name: str) -> bool:
    """Deploy ``baseline_version`` when nothing runs; True when the drill did so."""
    state = await deployer.driver.state()
    if state.stable is not None:
        return False
    if params.baseline_version is None:
        raise CheckError(
            f"nothing is deployed in {env_name!r}: deploy a good version first or set baseline_version"
        )
    base = await deployer.deploy(Release(version=params.baseline_version), strategy=Strategy.ROLLING)
    if base.outcome is not DeployOutcome.SUCCEEDED:
        raise CheckError(f"the baseline {params.baseline_version} did not deploy: {base.reason}")
    return True


def _judge(report: DeployReport, params: DeployDrillParams, ctx: CheckContext, spec: Spec) -> Outcome:
    """Pass when the bad version was caught and rolled back, verified, within both targets."""
    from golive.deploy.report import write_report

    artifacts = tuple(str(p) for p in write_report(report, ctx.artifacts_dir))
    ttd, ttr = report.time_to_detect_s, report.time_to_rollback_s
    found = Findings()
    if ttd is not None:
        found.measure("time_to_detect", round(ttd, 2), "s", f"<= {params.max_time_to_detect:g}s")
    if ttr is not None:
        found.measure("time_to_rollback", round(ttr, 2), "s", f"<= {params.max_time_to_rollback:g}s")
    if report.outcome is DeployOutcome.SUCCEEDED:
        found.problem(f"the bad version {params.version} passed verification and is LIVE")
    elif report.outcome is not DeployOutcome.ROLLED_BACK:
        found.problem(f"deploy ended {report.outcome.value}: {report.reason}")
    elif not report.rollback_verified:
        found.problem("the rollback was not verified")
    if ttd is not None and ttd > params.max_time_to_detect:
        found.problem(f"time to detect {ttd:.1f}s > {params.max_time_to_detect:g}s")
    if ttr is not None and ttr > params.max_time_to_rollback:
        found.problem(f"time to roll back {ttr:.1f}s > {params.max_time_to_rollback:g}s")
    times = (
        f"detected in {ttd:.1f}s (target {params.max_time_to_detect:g}s), "
        f"rolled back in {ttr:.1f}s (target {params.max_time_to_rollback:g}s)"
        if ttd is not None and ttr is not None
        else "no timings"
    )
    previous = report.previous.version if report.previous else "the previous version"
    reproducer = (
        f"golive deploy {spec.root} --env {ctx.environment_name} --version {params.version} "
        f"--strategy {params.strategy}" + "".join(f" --var {k}={v}" for k, v in params.vars.items())
    )
    return found.outcome(
        passed=f"bad version {params.version} {times}; {previous} serves again",
        failed=f"deploy drill of {params.version} ({times})",
        evidence=Evidence(excerpt="\n".join(report.log[-40:]), artifacts=artifacts),
        reproducer=reproducer,
    )
