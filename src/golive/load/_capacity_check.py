"""``load.capacity``: step load until the SLO breaks; the knee, what saturated, and a plan."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from golive._serialize import to_jsonable
from golive.errors import GoliveError
from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import no_data
from golive.load import _capacity, _chart
from golive.load._capacity import CapacityResult, Saturation, StepResult
from golive.load._model import LoadRun, Stage
from golive.load._params import LoadCapacityParams, PlanParams, target_uses_base_url
from golive.load._report import ms
from golive.load._resources import ResourceSeries
from golive.load._run import errors_text, run_load, write_chart
from golive.load._thresholds import Threshold
from golive.load._warnings import capacity_warnings
from golive.results import Evidence, Measurement, Outcome, Status

__all__ = ["LoadCapacityCheck"]


class LoadCapacityCheck:
    """Raise load step by step until the SLO breaks; report the knee and what saturated."""

    #: Load skews every other measurement and may trip rate limits: run it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "load.capacity"
    description: ClassVar[str] = (
        "Step load until an SLO breaks: the knee (max req/s within SLO), the saturated resource."
    )
    Params: ClassVar[type[LoadCapacityParams]] = LoadCapacityParams
    #: Talks to the service through base_url unless its target is a full URL.
    needs_base_url: ClassVar[bool] = True
    uses_base_url = staticmethod(target_uses_base_url)

    #: ``golive validate`` warnings: thresholds this plan cannot be expected to judge (the same
    #: function the family declares, so validating a spec need not import this module).
    warnings = staticmethod(capacity_warnings)

    async def run(self, params: LoadCapacityParams, ctx: CheckContext) -> Outcome:
        """Run the steps in one engine process; stop at the first step that breaks the SLO."""
        slo = params.effective_thresholds(ctx.objectives)
        if not slo:
            raise CheckError("no SLO: give thresholds or set objectives (latency_p95_ms, error_rate)")
        users = params.step_users_list()
        stages = tuple(
            Stage(
                users=u, duration_s=params.step_duration, spawn_rate=float(max(u, 1) * 4), label=f"{u} users"
            )
            for u in users
        )
        plan = params.build_plan(
            ctx, stages, stop_when=slo, settle_s=params.settle, early_end_s=params.min_step
        )
        run, series, engine = await run_load(params, ctx, plan, "capacity")
        result = _analyse(params, run, slo=tuple(slo), series=series)
        curve = write_chart(
            ctx,
            "capacity-curve",
            _chart.curve_svg(
                [(s.rps, s.p95 or 0.0, s.p99 or 0.0) for s in result.steps],
                f"{ctx.criterion_id}: latency vs throughput",
            ),
        )
        timeline = write_chart(
            ctx, "capacity-timeline", _chart.timeline_svg(run, f"{ctx.criterion_id}: steps")
        )
        priced = await _plan_section(params.plan, ctx, result)
        plan_text = "" if priced is None else "\n" + _capacity.plan_markdown(priced)
        cap_path = ctx.artifacts_dir / "capacity.json"
        _capacity.save(
            result, {"target": plan.host, "criterion": ctx.criterion_id, **_plan_extra(priced)}, cap_path
        )
        sat_text = _saturation_text(result.saturation, params.saturation)
        evidence = Evidence(
            excerpt=_steps_text(result, series)
            + f"\n\n{sat_text}\n\n"
            + _chart.text_chart(run)
            + plan_text
            + errors_text(run),
            artifacts=(str(cap_path), curve, timeline, str(engine.run_path), str(engine.plan_path)),
        )
        outcome = _verdict(params, result, users[0], sat_text)
        return replace(
            outcome,
            measurements=(*_measurements(params, result), *_cost_measurements(priced)),
            evidence=evidence,
            reproducer=engine.reproducer,
        )


def _analyse(
    params: LoadCapacityParams,
    run: LoadRun,
    *,
    slo: tuple[Threshold, ...],
    series: tuple[ResourceSeries, ...],
) -> CapacityResult:
    """The steps judged against the SLO, with the database connections in use at the knee."""
    result = _capacity.analyse(
        run, slo, series, settle_s=params.settle, saturation_at=params.saturation / 100.0
    )
    knee = result.knee
    db = next((s for s in series if s.name == params.db_connections_resource), None)
    if knee is None or db is None:
        return result
    mark = next(m for m in run.stages if m.label == knee.label)
    return replace(result, db_connections_at_knee=db.peak(mark.start, mark.end), db_pool_limit=db.limit)


async def _current_rps(plan: PlanParams, ctx: CheckContext) -> float | None:
    """Production traffic now: the param, or the environment's Prometheus answering the query."""
    if plan.current_rps is not None:
        return plan.current_rps
    if plan.current_rps_query and ctx.environment.prometheus_url:
        try:
            value = await ctx.prometheus().query_value(plan.current_rps_query)
        except GoliveError as exc:  # the plan is optional; the capacity verdict does not depend on it
            ctx.logger.warning("current traffic query failed: %s", exc)
            return None
        return 0.0 if value is None else value
    return None


async def _plan_section(
    plan: PlanParams | None, ctx: CheckContext, result: CapacityResult
) -> _capacity.CapacityPlan | None:
    """The capacity plan, when one was asked for and there is a knee and current traffic."""
    knee = result.knee
    if plan is None or knee is None:
        return None
    current = await _current_rps(plan, ctx)
    if current is None:
        return None
    saturated = result.saturation.name if result.saturation and result.saturation.saturated else None
    inputs = _capacity.PlanInputs(
        knee_rps=knee.rps,
        current_rps=current,
        growth=plan.growth,
        headroom=plan.headroom / 100.0,
        db_connections_per_instance=result.db_connections_at_knee,
        db_max_connections=plan.db_max_connections,
        unit_cost=plan.unit_cost,
        instance_hour_price=plan.instance_hour_price,
        currency=plan.currency,
        saturated=saturated,
    )
    return _capacity.make_plan(inputs)


def _plan_extra(plan: _capacity.CapacityPlan | None) -> dict[str, object]:
    """What capacity.json keeps of the plan: its inputs (for ``golive plan capacity``) and figures."""
    if plan is None:
        return {}
    return {"plan_inputs": plan.inputs.__dict__, "plan": to_jsonable(plan)}


def _cost_measurements(plan: _capacity.CapacityPlan | None) -> list[Measurement]:
    """The plan's cost figures, when it has a price."""
    if plan is None or plan.pricing is None:
        return []
    pricing, c = plan.pricing, plan.pricing.currency
    now, grown = plan.rows
    out = [
        Measurement(
            name="cost_per_million_at_knee", value=pricing.cost_per_million_at_knee, unit=f"{c}/1M req"
        ),
        Measurement(
            name="cost_per_million_planned", value=pricing.cost_per_million_planned, unit=f"{c}/1M req"
        ),
    ]
    for key, row in (("now", now), ("after_growth", grown)):
        out.append(Measurement(name=f"instance_hours_{key}", value=row.instance_hours, unit="h/month"))
        if row.monthly_cost is not None:
            out.append(Measurement(name=f"monthly_cost_{key}", value=row.monthly_cost, unit=f"{c}/month"))
    return out


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value * 100:.0f}%"


def _saturation_text(sat: Saturation | None, saturation_at: float) -> str:
    if sat is None:
        return "no resource samples (expose /metrics or run the service on this host)"
    if sat.saturated:
        return f"{sat.name} saturated first ({_pct(sat.utilisation)} of its limit at {sat.step})"
    return (
        f"no resource reached {saturation_at:g}% of its limit; highest: {sat.name} "
        f"({_pct(sat.utilisation)} at {sat.step})"
    )


def _steps_text(result: CapacityResult, series: tuple[ResourceSeries, ...]) -> str:
    lines = ["step         users   req/s    p50      p95      p99     err%   ran     judged on  SLO"]
    for s in result.steps:
        ran = f"{s.seconds:.1f}s" + ("*" if s.ended_early else "")
        judged = f"{s.requests} in {s.judged_s:g}s"
        lines.append(
            f"{s.label:<12} {s.users:>5} {s.rps:>7.1f} {ms(s.p50):>8} {ms(s.p95):>8} {ms(s.p99):>8} "
            f"{s.error_rate:>6.2f}   {ran:<7} {judged:<10} {_step_verdict(s)}"
        )
    if any(s.ended_early for s in result.steps):
        lines.append("* the step ended early: every SLO threshold had enough requests (see min_step)")
    for r in series:
        lines.append(
            f"resource {r.name}: peak {max((v for _, v in r.points), default=0):.4g} {r.unit}"
            + (f" (limit {r.limit:g})" if r.limit else "")
        )
    return "\n".join(lines)


def _step_verdict(step: StepResult) -> str:
    if step.passed:
        return "ok"
    if step.failed:
        return "BROKEN: " + "; ".join(step.failed)
    return "not judged: " + "; ".join(step.unjudged)


def _measurements(params: LoadCapacityParams, result: CapacityResult) -> list[Measurement]:
    knee, sat = result.knee, result.saturation
    measurements: list[Measurement] = []
    if knee is not None:
        measurements += [
            Measurement(
                name="knee_rps",
                value=round(knee.rps, 2),
                unit="req/s",
                target=f">= {params.min_rps:g}" if params.min_rps else None,
            ),
            Measurement(name="knee_users", value=float(knee.users)),
        ]
        if knee.p95 is not None:
            measurements.append(Measurement(name="knee_p95", value=knee.p95, unit="ms"))
        if result.db_connections_at_knee is not None:
            measurements.append(
                Measurement(name="db_connections_at_knee", value=result.db_connections_at_knee)
            )
    measurements.append(
        Measurement(
            name="max_rps_measured",
            value=round(max((s.rps for s in result.steps), default=0.0), 2),
            unit="req/s",
        )
    )
    if sat is not None and sat.utilisation is not None:
        measurements.append(
            Measurement(name=f"saturation_{sat.name}", value=round(sat.utilisation * 100, 1), unit="%")
        )
    return measurements


def _verdict(params: LoadCapacityParams, result: CapacityResult, first_users: int, sat_text: str) -> Outcome:
    """Pass with a knee (at least ``min_rps`` when set); fail when no step met the SLO.

    No step judged at all (too few requests in every step) is no-data: nothing was measured.
    """
    knee = result.knee
    unjudged = [s for s in result.steps if not s.judged]
    if knee is None and result.broke_at is None:
        reasons = "; ".join(f"{s.label}: {s.unjudged[0]}" for s in unjudged[:3] if s.unjudged)
        return no_data(f"no step had enough requests to judge the SLO ({reasons})")
    if knee is None:
        return Outcome(
            status=Status.FAIL,
            summary=f"no step met the SLO ({', '.join(result.slo)}), not even {first_users} users; "
            + sat_text,
        )
    if result.broke_at:
        bound = f"SLO broke at {result.broke_at.users} users"
    else:
        bound = (
            f"SLO held at every judged step up to {max(s.users for s in result.steps if s.judged)} users: "
            "capacity is at least this"
        )
    if unjudged:
        bound += f" ({', '.join(s.label for s in unjudged)} not judged: too few requests)"
    summary = f"knee {knee.rps:.1f} req/s at {knee.users} users within SLO; {bound}; {sat_text}"
    if params.min_rps is not None and knee.rps < params.min_rps:
        summary = f"knee {knee.rps:.1f} req/s is below the required {params.min_rps:g} req/s; " + summary
        return Outcome(status=Status.FAIL, summary=summary)
    return Outcome(status=Status.PASS, summary=summary)
