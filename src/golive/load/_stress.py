"""``load.stress``: overload the service; it must shed load (429/503) and recover afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import Findings
from golive.load import _chart
from golive.load._model import LoadRun, Stage, StageMark, Stats
from golive.load._params import LoadStressParams, target_uses_base_url
from golive.load._report import judgement, ms, stats_measurements, stats_table, verdict_lines
from golive.load._run import errors_text, run_load, write_chart
from golive.load._thresholds import Threshold
from golive.load._warnings import stress_warnings
from golive.results import Evidence, Measurement, Outcome, Status

__all__ = ["LoadStressCheck"]


@dataclass(frozen=True, kw_only=True)
class _Overload:
    """What the overload stage measured: its stats and the responses that shed load."""

    stats: Stats
    shed: int
    other_rate: float


class LoadStressCheck:
    """Beyond-capacity load: does the service shed (429/503) and recover, or fall over?"""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "load.stress"
    description: ClassVar[str] = "Overload the service: it must shed load (429/503) and recover afterwards."
    Params: ClassVar[type[LoadStressParams]] = LoadStressParams
    #: Talks to the service through base_url unless its target is a full URL.
    needs_base_url: ClassVar[bool] = True
    uses_base_url = staticmethod(target_uses_base_url)

    #: ``golive validate`` warnings: thresholds this plan cannot be expected to judge (the same
    #: function the family declares, so validating a spec need not import this module).
    warnings = staticmethod(stress_warnings)

    async def run(self, params: LoadStressParams, ctx: CheckContext) -> Outcome:
        """Overload, then recover at low load; judge shedding, latency, errors and recovery."""
        rec_users = params.recovery_users or max(1, params.users // 10)
        stages = (
            Stage(
                users=params.users,
                duration_s=params.duration,
                spawn_rate=params.spawn_rate(params.users),
                label="overload",
            ),
            Stage(
                users=rec_users, duration_s=params.recovery, spawn_rate=float(params.users), label="recovery"
            ),
        )
        plan = params.build_plan(ctx, stages)
        run, _, engine = await run_load(params, ctx, plan, "stress")
        over = next((m for m in run.stages if m.label == "overload"), None)
        rec = next((m for m in run.stages if m.label == "recovery"), None)
        if over is None:
            raise CheckError("the overload stage did not run")
        o = run.window(over.start + params.ramp_up, over.end)
        shed = o.bucket.status_count(*params.shed_statuses)
        overload = _Overload(
            stats=o, shed=shed, other_rate=100.0 * (o.failures - shed) / o.requests if o.requests else 0.0
        )
        found = _overload_problems(params, overload)
        rec_text = "recovery stage did not run"
        unjudged = [
            f"the recovery stage did not run (the load stopped at {run.stopped_by}); raise max_requests"
        ]
        if rec is not None:
            slo = params.recovery_slo(ctx.objectives)
            problem, unjudged = judge_recovery(run, rec, slo)
            rec_text = verdict_lines(run.judge(slo, *_recovery_window(rec)))
            if problem:
                found.problem(problem)
        chart = write_chart(ctx, "stress-timeline", _chart.timeline_svg(run, f"{ctx.criterion_id}: stress"))
        text = (
            f"overload ({params.users} users):\n"
            + stats_table(run, over.start, over.end)
            + f"\n\nrecovery ({rec_users} users):\n"
            + (stats_table(run, rec.start, rec.end) if rec else "—")
            + f"\n{rec_text}\n\n"
            + _chart.text_chart(run)
            + errors_text(run)
        )
        status, summary = _status(found, shed), _summary(params, overload, found)
        if status is Status.PASS and unjudged:
            status, summary = (
                Status.NO_DATA,
                "recovery not verified: " + "; ".join(unjudged) + f" — {summary}",
            )
        return Outcome(
            status=status,
            summary=summary,
            measurements=_measurements(params, overload),
            evidence=Evidence(excerpt=text, artifacts=(str(engine.run_path), chart)),
            reproducer=engine.reproducer,
        )


def _recovery_window(rec: StageMark) -> tuple[float, float]:
    # The first second after the overload belongs to draining, not to recovery.
    return rec.start + min(1.0, (rec.end - rec.start) / 3), rec.end


def judge_recovery(run: LoadRun, rec: StageMark, slo: tuple[Threshold, ...]) -> tuple[str | None, list[str]]:
    """``(problem, shortfalls)`` of the recovery period.

    Users kept sending requests during recovery, so a recovery without a single answer is a
    service that stopped answering (a failure); a few answers are too few to judge the SLO.
    """
    start, end = _recovery_window(rec)
    if run.window(start, end).requests == 0:
        return f"did not recover: no request completed in the {end - start:.0f} s after the overload", []
    verdicts = run.judge(slo, start, end)
    breaches, shortfalls = judgement(verdicts, "raise recovery or recovery_users")
    return ("did not recover: " + "; ".join(breaches) if breaches else None), shortfalls


def _overload_problems(params: LoadStressParams, overload: _Overload) -> Findings:
    found = Findings()
    o = overload.stats
    if o.p95 is not None and o.p95 > params.max_latency * 1000:
        found.problem(f"p95 under overload {o.p95:g}ms > {params.max_latency * 1000:g}ms (requests pile up)")
    if overload.other_rate > params.max_error_rate:
        found.problem(
            f"{overload.other_rate:.1f}% errors other than {params.shed_statuses} under overload "
            "(timeouts, 5xx, refused connections)"
        )
    return found


def _measurements(params: LoadStressParams, overload: _Overload) -> tuple[Measurement, ...]:
    o, shed = overload.stats, overload.shed
    return (
        *stats_measurements(o, "overload_"),
        Measurement(name="shed_responses", value=float(shed)),
        Measurement(
            name="shed_rate", value=round(100.0 * shed / o.requests, 2) if o.requests else 0.0, unit="%"
        ),
        Measurement(
            name="overload_other_error_rate",
            value=round(overload.other_rate, 2),
            unit="%",
            target=f"<= {params.max_error_rate:g}%",
        ),
    )


def _status(found: Findings, shed: int) -> Status:
    if found.problems:
        return Status.FAIL
    return Status.NO_DATA if shed == 0 else Status.PASS


def _summary(params: LoadStressParams, overload: _Overload, found: Findings) -> str:
    o, shed = overload.stats, overload.shed
    codes = "/".join(map(str, params.shed_statuses))
    head = f"{params.users} users: {o.rps:.0f} req/s, p95 {ms(o.p95)}, {shed} shed ({codes})"
    if found.problems:
        verdict = "falls over without shedding load" if shed == 0 else "sheds some load but degrades"
        return f"{verdict}: " + "; ".join(found.problems) + f" — {head}"
    if shed == 0:
        return f"not overloaded: {head}, latency and errors within limits — raise users to find the limit"
    return f"sheds load and recovers: {head}"
