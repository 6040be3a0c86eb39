"""Capacity: the knee of a step-load run, the resource that saturated first, and the plan.

The knee is the highest throughput of a step that still met every SLO threshold. The plan
turns it into instances and database connections for today's traffic and projected growth,
and, given a price, into instance-hours, monthly cost and cost per million requests.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.load._cost import HOURS_PER_MONTH, Pricing, cost_per_million, money, price_capacity
from golive.load._model import LoadRun, StageMark
from golive.load._resources import ResourceSeries
from golive.load._thresholds import Threshold


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """One capacity step, measured after its settle time."""

    label: str
    users: int
    rps: float
    p50: float | None
    p95: float | None
    p99: float | None
    error_rate: float
    passed: bool
    failed: tuple[str, ...]
    resources: tuple[tuple[str, float | None, float | None], ...]
    """``(name, peak, utilisation)`` of every sampled resource during the step."""
    unjudged: tuple[str, ...] = ()
    """SLO thresholds the step had too few requests to judge, with the reason and the fix."""
    seconds: float = 0.0
    """How long the step ran."""
    ended_early: bool = False
    """Whether it ended before its step_duration because every threshold had enough requests."""
    judged_s: float = 0.0
    """Length of the window it was judged on (whole seconds after settle)."""
    requests: int = 0
    """Requests in that window."""
    samples: tuple[tuple[str, int], ...] = ()
    """``(threshold, requests)``: what each SLO threshold was judged on."""

    @property
    def judged(self) -> bool:
        """Whether the step counts: it met the SLO on enough requests, or measurably broke it."""
        return self.passed or bool(self.failed)


@dataclass(frozen=True, kw_only=True)
class Saturation:
    """The resource that ran out first (or came closest)."""

    name: str
    utilisation: float | None
    step: str
    saturated: bool


@dataclass(frozen=True, kw_only=True)
class CapacityResult:
    """What ``load.capacity`` found; saved as ``capacity.json`` for ``golive plan capacity``."""

    steps: tuple[StepResult, ...]
    knee: StepResult | None
    broke_at: StepResult | None
    saturation: Saturation | None
    slo: tuple[str, ...]
    db_connections_at_knee: float | None = None
    db_pool_limit: float | None = None


def analyse(
    run: LoadRun,
    slo: Sequence[Threshold],
    resources: Sequence[ResourceSeries],
    *,
    settle_s: float,
    saturation_at: float = 0.85,
) -> CapacityResult:
    """Judge every step against the SLO and find the knee and the first saturated resource.

    The knee is the fastest step that met the SLO on enough requests; the break is the first
    step that measurably missed it. Steps with too few requests are neither.
    """
    steps = [_step(run, mark, slo, resources, settle_s) for mark in run.stages]
    passing = [s for s in steps if s.passed]
    knee = max(passing, key=lambda s: s.rps) if passing else None
    broke = next((s for s in steps if s.failed), None)
    return CapacityResult(
        steps=tuple(steps),
        knee=knee,
        broke_at=broke,
        saturation=first_saturated(steps, broke, saturation_at),
        slo=tuple(t.label for t in slo),
    )


def _step(
    run: LoadRun,
    mark: StageMark,
    slo: Sequence[Threshold],
    resources: Sequence[ResourceSeries],
    settle_s: float,
) -> StepResult:
    """One step judged against the SLO after its settle time.

    A threshold is judged only on enough requests; a step whose users got no answer at all
    is broken (the service stopped answering), one with too few answers is not judged.
    """
    start = mark.start + min(settle_s, (mark.end - mark.start) / 2)
    stats = run.window(start, mark.end)
    verdicts = run.judge(slo, start, mark.end)
    fix = "raise step_duration or start_users"
    failed = [f"{v.threshold.label} (measured {_fmt(v.measured)})" for v in verdicts if v.breached]
    if stats.requests == 0 and mark.users > 0:
        failed.append(f"no request completed in {stats.seconds:g} s with {mark.users} users")
    unjudged = () if failed else tuple(v.shortfall(fix) for v in verdicts if not v.judged)
    return StepResult(
        label=mark.label,
        users=mark.users,
        rps=stats.rps,
        p50=stats.p50,
        p95=stats.p95,
        p99=stats.p99,
        error_rate=stats.error_rate,
        passed=not failed and not unjudged,
        failed=tuple(failed),
        resources=tuple(
            (r.name, r.peak(mark.start, mark.end), r.utilisation(mark.start, mark.end)) for r in resources
        ),
        unjudged=unjudged,
        seconds=round(mark.end - mark.start, 2),
        ended_early=mark.ended_by == "samples",
        judged_s=stats.seconds,
        requests=stats.requests,
        samples=tuple((v.threshold.label, v.samples) for v in verdicts),
    )


def first_saturated(
    steps: Sequence[StepResult], broke: StepResult | None, saturation_at: float
) -> Saturation | None:
    """The first resource (in step order) at or above ``saturation_at`` of its limit.

    When none reached it, the resource with the highest utilisation at the breaking (or last)
    step, marked as not saturated: the bottleneck is then elsewhere (e.g. a lock or a queue).
    """
    for step in steps:
        hits = [(u, name) for name, _, u in step.resources if u is not None and u >= saturation_at]
        if hits:
            u, name = max(hits)
            return Saturation(name=name, utilisation=u, step=step.label, saturated=True)
    ref = broke or (steps[-1] if steps else None)
    if ref is None:
        return None
    known = [(u, name) for name, _, u in ref.resources if u is not None]
    if not known:
        return None
    u, name = max(known)
    return Saturation(name=name, utilisation=u, step=ref.label, saturated=False)


def _fmt(value: float | None) -> str:
    return "no data" if value is None else f"{value:.4g}"


@dataclass(frozen=True, kw_only=True)
class PlanInputs:
    """What the capacity plan starts from."""

    knee_rps: float
    current_rps: float
    growth: float = 3.0
    headroom: float = 0.3
    db_connections_per_instance: float | None = None
    db_max_connections: float | None = None
    unit_cost: float | None = None
    """Price of one instance per month (730 hours); or give ``instance_hour_price``."""
    currency: str = "EUR"
    saturated: str | None = None
    current_instances: int | None = None
    instance_hour_price: float | None = None
    """Price of one instance per hour; or give ``unit_cost``."""


@dataclass(frozen=True, kw_only=True)
class PlanRow:
    """Instances, connections and their cost for one traffic level."""

    label: str
    rps: float
    instances: int
    db_connections: float | None
    monthly_cost: float | None
    instance_hours: float = 0.0
    """Instance-hours per month (instances x 730)."""
    cost_per_million: float | None = None
    """What a million requests cost at this traffic on these instances (None: unpriced, no traffic)."""


@dataclass(frozen=True, kw_only=True)
class CapacityPlan:
    """Instances needed now and after growth, what they cost, and how to scale."""

    inputs: PlanInputs
    usable_rps_per_instance: float
    rows: tuple[PlanRow, ...]
    strategy: str
    warnings: tuple[str, ...]
    pricing: Pricing | None = None


STRATEGIES = {
    "cpu": "CPU saturates first: scale out horizontally (more stateless instances behind the load "
    "balancer); autoscale on CPU at ~{target}% utilisation.",
    "memory": "Memory saturates first: give instances more memory (scale up) and look for growth in "
    "caches or leaks before adding instances.",
    "db_connections": "Database connections saturate first: put a pooler (PgBouncer, transaction mode) in "
    "front of PostgreSQL and size pools per instance before adding instances; adding instances "
    "alone multiplies connections.",
    "event_lag": "Event delivery lags first: add consumers / dispatcher throughput (partition the "
    "outbox) before adding API instances.",
}


def make_plan(inputs: PlanInputs) -> CapacityPlan:
    """Instances = ceil(traffic / (knee x (1 - headroom))), now and after growth."""
    if inputs.knee_rps <= 0:
        raise ValueError("the capacity result has no knee (no step met the SLO)")
    usable = inputs.knee_rps * (1.0 - inputs.headroom)
    pricing = _pricing(inputs)
    rows = []
    warnings = []
    for label, rps in (
        ("now", inputs.current_rps),
        (f"x{inputs.growth:g} growth", inputs.current_rps * inputs.growth),
    ):
        instances = max(1, math.ceil(rps / usable)) if rps > 0 else 1
        conns = instances * inputs.db_connections_per_instance if inputs.db_connections_per_instance else None
        rows.append(_row(label, rps, instances, conns, pricing))
        if conns is not None and inputs.db_max_connections and conns > inputs.db_max_connections * 0.8:
            warnings.append(
                f"{label}: {conns:.0f} database connections exceed 80% of max_connections "
                f"({inputs.db_max_connections:.0f}): add a pooler or raise the limit first"
            )
    key = (inputs.saturated or "").lower()
    strategy = STRATEGIES.get(
        key,
        STRATEGIES["cpu"]
        if not key
        else f"{inputs.saturated} saturates first: raise that limit before adding instances.",
    )
    strategy = strategy.format(target=round((1 - inputs.headroom) * 100))
    if not inputs.saturated:
        # Lower-case the first word unless it is an acronym ("CPU saturates first").
        lead = strategy if strategy[:2].isupper() else strategy[0].lower() + strategy[1:]
        strategy = "No resource was seen saturating; " + lead
    return CapacityPlan(
        inputs=inputs,
        usable_rps_per_instance=usable,
        rows=tuple(rows),
        strategy=strategy,
        warnings=tuple(warnings),
        pricing=pricing,
    )


def _pricing(inputs: PlanInputs) -> Pricing | None:
    """The instance's price and cost per million requests, when the plan has a price."""
    if inputs.unit_cost is None and inputs.instance_hour_price is None:
        return None
    return price_capacity(
        knee_rps=inputs.knee_rps,
        headroom=inputs.headroom,
        currency=inputs.currency,
        instance_hour_price=inputs.instance_hour_price,
        instance_month_price=inputs.unit_cost,
    )


def _row(label: str, rps: float, instances: int, conns: float | None, pricing: Pricing | None) -> PlanRow:
    """One traffic level: instance-hours always, cost when priced (per million when there is traffic)."""
    monthly = per_million = None
    if pricing is not None:
        monthly = instances * pricing.instance_month_price
        if rps > 0:
            per_million = cost_per_million(instances * pricing.instance_hour_price, rps)
    return PlanRow(
        label=label,
        rps=rps,
        instances=instances,
        db_connections=conns,
        monthly_cost=monthly,
        instance_hours=instances * HOURS_PER_MONTH,
        cost_per_million=per_million,
    )


def plan_markdown(plan: CapacityPlan) -> str:
    """The plan as a Markdown section (for reports and ``golive plan capacity``)."""
    i = plan.inputs
    lines = [
        "## Capacity plan",
        "",
        f"- Measured capacity per instance (knee, SLO met): **{i.knee_rps:.1f} req/s**",
        f"- Headroom kept: {i.headroom * 100:.0f}% → usable "
        f"{plan.usable_rps_per_instance:.1f} req/s per instance",
        f"- Current production traffic: {i.current_rps:.1f} req/s; projected growth x{i.growth:g}",
        *_pricing_lines(plan.pricing),
        "",
        "| Traffic | req/s | Instances | DB connections | Instance-hours/month | Monthly cost "
        "| Cost per 1M requests |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in plan.rows:
        conns = "—" if r.db_connections is None else f"{r.db_connections:.0f}"
        cost = "—" if r.monthly_cost is None else money(r.monthly_cost, i.currency)
        per_million = "—" if r.cost_per_million is None else money(r.cost_per_million, i.currency)
        lines.append(
            f"| {r.label} | {r.rps:.1f} | {r.instances} | {conns} | {r.instance_hours:,.0f} | {cost} "
            f"| {per_million} |"
        )
    lines += ["", f"**Scaling strategy:** {plan.strategy}"]
    lines += [f"- ⚠ {w}" for w in plan.warnings]
    return "\n".join(lines) + "\n"


def _pricing_lines(pricing: Pricing | None) -> list[str]:
    """The price and the cost per million requests at the knee, for the plan's header."""
    if pricing is None:
        return []
    c = pricing.currency
    return [
        f"- Price: {money(pricing.instance_hour_price, c)} per instance-hour "
        f"({money(pricing.instance_month_price, c)} per instance-month of {pricing.hours_per_month:g} h)",
        f"- Cost per million requests: {money(pricing.cost_per_million_at_knee, c)} at the knee, "
        f"{money(pricing.cost_per_million_planned, c)} at the planned "
        f"{pricing.utilisation * 100:.0f}% utilisation",
    ]


def save(result: CapacityResult, extra: dict[str, Any], path: Path) -> None:
    """Write ``capacity.json``."""
    from golive._serialize import to_jsonable

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"result": to_jsonable(result), **extra}, indent=1))
