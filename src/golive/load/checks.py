"""Check types of the load family: ``load.test``, ``load.capacity``, ``load.soak``,
``load.stress`` and ``db.queries``.

All of them drive real load with Locust in a separate process (see :mod:`golive.load._engine`),
only to loopback or allowed hosts, bounded in time and requests. Their params are in
:mod:`golive.load._params`; the longer ones live in modules of their own and are re-exported here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import no_data
from golive.load import _chart
from golive.load._capacity_check import LoadCapacityCheck
from golive.load._dbstats import LoadReport, run_db_queries
from golive.load._model import LoadRun, Stage, Verdict
from golive.load._params import DbQueriesParams, LoadTestParams, target_uses_base_url
from golive.load._report import (
    judgement,
    stats_measurements,
    stats_table,
    threshold_measurements,
    verdict_lines,
)
from golive.load._run import errors_text, run_load, write_chart
from golive.load._soak import LoadSoakCheck
from golive.load._stress import LoadStressCheck
from golive.load._warnings import load_test_warnings
from golive.results import Evidence, Outcome, Status

__all__ = ["DbQueriesCheck", "LoadCapacityCheck", "LoadSoakCheck", "LoadStressCheck", "LoadTestCheck"]


class LoadTestCheck:
    """A load test judged by k6-style thresholds."""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "load.test"
    description: ClassVar[str] = "Drive a load scenario (Locust) and judge p95/p99/error_rate/rps thresholds."
    Params: ClassVar[type[LoadTestParams]] = LoadTestParams
    #: Talks to the service through base_url unless its target is a full URL.
    needs_base_url: ClassVar[bool] = True
    uses_base_url = staticmethod(target_uses_base_url)

    #: ``golive validate`` warnings: thresholds this plan cannot be expected to judge (the same
    #: function the family declares, so validating a spec need not import this module).
    warnings = staticmethod(load_test_warnings)

    async def run(self, params: LoadTestParams, ctx: CheckContext) -> Outcome:
        """Run the scenario once; abort early on a sustained breach of an abort threshold."""
        thresholds = params.effective_thresholds(ctx.objectives)
        if not thresholds:
            raise CheckError("no thresholds: give thresholds or set objectives (latency_p95_ms, error_rate)")
        stage = Stage(
            users=params.users, duration_s=params.duration, spawn_rate=params.spawn_rate(params.users)
        )
        plan = params.build_plan(
            ctx, (stage,), abort=tuple(t for t in thresholds if t.abort_on_fail), settle_s=params.ramp_up
        )
        run, _, engine = await run_load(params, ctx, plan, "load")
        verdicts = run.judge(thresholds)
        chart = write_chart(
            ctx, "load-timeline", _chart.timeline_svg(run, f"{ctx.criterion_id}: load over time")
        )
        total = run.stats()
        text = "\n\n".join([stats_table(run), verdict_lines(verdicts), _chart.text_chart(run)]) + errors_text(
            run
        )
        outcome = _load_test_outcome(params, run, verdicts)
        return replace(
            outcome,
            measurements=(*stats_measurements(total), *threshold_measurements(verdicts)),
            evidence=Evidence(excerpt=text, artifacts=(str(engine.run_path), str(engine.plan_path), chart)),
            reproducer=engine.reproducer,
        )


def _load_test_outcome(params: LoadTestParams, run: LoadRun, verdicts: tuple[Verdict, ...]) -> Outcome:
    """Fail on an abort or a measured breach; no-data when a threshold had too few requests."""
    total = run.stats()
    head = f"{total.requests} requests at {total.rps:.1f} req/s from {params.users} users"
    breaches, shortfalls = judgement(verdicts)
    unjudged = "; not judged: " + "; ".join(shortfalls) if shortfalls else ""
    if run.aborted_by:
        summary = f"aborted after {run.duration_s:.1f}s: {run.aborted_by} breached for its window; {head}"
        return Outcome(status=Status.FAIL, summary=summary)
    if total.requests == 0:
        return no_data(
            f"no request completed in {run.duration_s:.0f} s: check that the scenario reaches the "
            "service (target, paths) and that it answers within request_timeout"
        )
    if breaches:
        return Outcome(status=Status.FAIL, summary=f"{head}; breached: " + "; ".join(breaches) + unjudged)
    if shortfalls:
        return no_data(f"{head}; " + "; ".join(shortfalls))
    return Outcome(
        status=Status.PASS,
        summary=f"{head}; all {len(verdicts)} thresholds met on enough requests (p95 {total.p95}ms, "
        f"errors {total.error_rate:.2f}%)",
    )


class DbQueriesCheck:
    """Top PostgreSQL queries (pg_stat_statements) during a load test; flag missing indexes."""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "db.queries"
    description: ClassVar[str] = (
        "During load, top queries from pg_stat_statements; seq scans on large tables."
    )
    Params: ClassVar[type[DbQueriesParams]] = DbQueriesParams
    #: Talks to the service through base_url unless its target is a full URL.
    needs_base_url: ClassVar[bool] = True
    uses_base_url = staticmethod(target_uses_base_url)

    async def run(self, params: DbQueriesParams, ctx: CheckContext) -> Outcome:
        """Snapshot statistics, run the load, diff, and judge."""

        async def load() -> LoadReport:
            stage = Stage(
                users=params.users, duration_s=params.duration, spawn_rate=params.spawn_rate(params.users)
            )
            run, _, engine = await run_load(params, ctx, params.build_plan(ctx, (stage,)), "dbload")
            total = run.stats()
            return LoadReport(
                table=stats_table(run),
                reproducer=engine.reproducer,
                requests=total.requests,
                failures=total.failures,
            )

        return await run_db_queries(params, ctx, load)
