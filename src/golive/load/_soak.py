"""``load.soak``: long constant load; memory growth and error/latency drift over the run."""

from __future__ import annotations

from typing import ClassVar

from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import Findings
from golive.load import _chart
from golive.load._model import LoadRun, Stage, Stats
from golive.load._params import LoadSoakParams, target_uses_base_url
from golive.load._report import judgement, ms, stats_measurements, stats_table, verdict_lines
from golive.load._resources import ResourceSeries
from golive.load._run import errors_text, run_load, write_chart
from golive.load._thresholds import default_min_samples
from golive.load._warnings import load_test_warnings
from golive.results import Evidence, Outcome, Status

__all__ = ["LoadSoakCheck"]


class LoadSoakCheck:
    """Long constant load: memory growth and error/latency drift."""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "load.soak"
    description: ClassVar[str] = "Constant load for a long time: memory growth, error and latency drift."
    Params: ClassVar[type[LoadSoakParams]] = LoadSoakParams
    #: Talks to the service through base_url unless its target is a full URL.
    needs_base_url: ClassVar[bool] = True
    uses_base_url = staticmethod(target_uses_base_url)

    #: ``golive validate`` warnings: thresholds this plan cannot be expected to judge (the same
    #: function the family declares, so validating a spec need not import this module).
    warnings = staticmethod(load_test_warnings)

    async def run(self, params: LoadSoakParams, ctx: CheckContext) -> Outcome:
        """Run the load; judge thresholds over the run and drift between its first and last third."""
        thresholds = params.effective_thresholds(ctx.objectives)
        if not thresholds:
            # Drift alone passes a service that fails every request from start to end.
            raise CheckError("no thresholds: give thresholds or set objectives (latency_p95_ms, error_rate)")
        stage = Stage(
            users=params.users, duration_s=params.duration, spawn_rate=params.spawn_rate(params.users)
        )
        plan = params.build_plan(ctx, (stage,), abort=tuple(t for t in thresholds if t.abort_on_fail))
        run, series, engine = await run_load(params, ctx, plan, "soak")
        start = run.started + params.ramp_up
        third = (run.ended - start) / 3
        first, last = run.window(start, start + third), run.window(run.ended - third, run.ended)
        found = Findings()
        verdicts = run.judge(thresholds)
        breaches, shortfalls = judgement(verdicts)
        for line in breaches:
            found.problem(line)
        found.measurements.extend(stats_measurements(run.stats()))
        growth = _memory_growth(params, run, series, start, third, found)
        shortfalls += _drift(params, first, last, found)
        chart = write_chart(ctx, "soak-timeline", _chart.timeline_svg(run, f"{ctx.criterion_id}: soak"))
        mem_text = (
            "memory: not sampled" if growth is None else f"memory growth first→last third: {growth:+.1f}%"
        )
        text = (
            stats_table(run) + "\n\n" + verdict_lines(verdicts) + f"\n{mem_text}\n"
            f"first third: p95 {ms(first.p95)}, errors {first.error_rate:.2f}%; "
            f"last third: p95 {ms(last.p95)}, errors {last.error_rate:.2f}%\n\n"
            + _chart.text_chart(run)
            + errors_text(run)
        )
        problems = found.problems
        if run.aborted_by:
            problems.insert(0, f"aborted: {run.aborted_by}")
        head = f"{run.stats().requests} requests over {run.duration_s:.0f}s"
        status = Status.FAIL if problems else Status.NO_DATA if shortfalls else Status.PASS
        detail = problems or shortfalls or [f"no drift ({mem_text})"]
        return Outcome(
            status=status,
            summary=f"{head}; " + "; ".join(detail),
            measurements=tuple(found.measurements),
            evidence=Evidence(excerpt=text, artifacts=(str(engine.run_path), chart)),
            reproducer=engine.reproducer,
        )


def _drift(params: LoadSoakParams, first: Stats, last: Stats, found: Findings) -> list[str]:
    """Error and p95 drift between the first and last third; thirds too thin to compare."""
    shortfalls: list[str] = []
    if not (first.requests and last.requests):
        return ["a third of the run had no completed request to compare; raise duration or users"]
    error_drift = last.error_rate - first.error_rate
    found.measure("error_drift", round(error_drift, 3), "points", f"<= {params.max_error_drift:g}")
    if error_drift > params.max_error_drift:
        found.problem(f"error rate drifted {first.error_rate:.2f}% → {last.error_rate:.2f}%")
    needed = default_min_samples("p95")
    if min(first.requests, last.requests) < needed or not (first.p95 and last.p95):
        shortfalls.append(
            f"p95 drift not judged: {min(first.requests, last.requests)} requests in a third of the run, "
            f"p95 needs at least {needed}; raise duration or users"
        )
        return shortfalls
    drift = 100.0 * (last.p95 - first.p95) / first.p95
    found.measure("p95_drift", round(drift, 1), "%", f"<= {params.max_latency_drift:g}%")
    if drift > params.max_latency_drift:
        found.problem(f"p95 drifted {first.p95:g}ms → {last.p95:g}ms (+{drift:.0f}%)")
    return shortfalls


def _memory_growth(
    params: LoadSoakParams,
    run: LoadRun,
    series: tuple[ResourceSeries, ...],
    start: float,
    third: float,
    found: Findings,
) -> float | None:
    """RSS growth between the first and the last third, in percent (None when not sampled)."""
    memory = next((s for s in series if s.name == "memory"), None)
    if memory is None or len(memory.points) < 3:
        return None
    m0 = memory.mean(start, start + third)
    m1 = memory.mean(run.ended - third, run.ended + 1)
    if not (m0 and m1):
        return None
    growth = 100.0 * (m1 - m0) / m0
    found.measure("memory_growth", round(growth, 2), "%", f"<= {params.max_memory_growth:g}%")
    if growth > params.max_memory_growth:
        found.problem(f"memory grew {growth:.1f}% (limit {params.max_memory_growth:g}%)")
    return growth
