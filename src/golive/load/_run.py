"""What every load check does around the engine: guard, sample resources, write charts."""

from __future__ import annotations

from golive.kit.check import CheckContext, CheckError
from golive.kit.files import atomic_write
from golive.load._engine import LocustEngine
from golive.load._model import LoadPlan, LoadRun
from golive.load._params import ScenarioParams
from golive.load._resources import ResourceSampler, ResourceSeries
from golive.load.base import LoadError

__all__ = ["errors_text", "run_load", "write_chart"]


async def run_load(
    params: ScenarioParams, ctx: CheckContext, plan: LoadPlan, name: str
) -> tuple[LoadRun, tuple[ResourceSeries, ...], LocustEngine]:
    """Run a plan while sampling the service's resources; load errors become check errors.

    The plan is refused (target, duration) before anything, metrics scrapes included, is sent.
    """
    engine = LocustEngine(ctx, name)
    try:
        engine.check(plan)
        sampler = ResourceSampler(
            http=ctx.http,
            base_url=plan.host,
            metrics_url=plan.host + params.metrics_path if params.metrics_path else None,
            specs=[r.spec() for r in params.resources],
            cpu_limit=params.cpu_limit,
        )
        async with sampler:
            run = await engine.execute(plan)
    except LoadError as exc:
        raise CheckError(str(exc)) from None
    return run, sampler.series(), engine


def write_chart(ctx: CheckContext, name: str, svg: str) -> str:
    """Write an SVG chart into the criterion's artifacts; its path."""
    path = ctx.artifacts_dir / f"{name}.svg"
    atomic_write(path, svg)
    return str(path)


def errors_text(run: LoadRun) -> str:
    """The most frequent errors of a run, for the evidence ("" when none)."""
    if not run.errors:
        return ""
    return "\nerrors:\n" + "\n".join(f"  {n} x {msg}" for msg, n in run.errors[:5])
