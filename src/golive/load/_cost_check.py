"""``load.cost``: a million requests at the measured knee, priced, against a budget.

It reads the result of the ``load.capacity`` criterion it ``needs`` (that result's
``capacity.json``, else its measurements) and never talks to the service. The figure judged is
the cost at the planned utilisation (the knee less the headroom), which is what a fleet sized
by the capacity plan pays; the cost at the knee itself is reported beside it.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import ClassVar

from golive.errors import UsageError
from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import no_data
from golive.load import plan as planning
from golive.load._cost import Pricing, money, price_capacity
from golive.load._params import LoadCostParams
from golive.load._warnings import cost_warnings
from golive.load.plan import CapacitySource
from golive.results import CheckResult, Evidence, Measurement, Outcome, Status

__all__ = ["LoadCostCheck"]

#: Headroom when neither the params nor the capacity criterion's plan give one (the plan's default).
DEFAULT_HEADROOM = 0.3


class LoadCostCheck:
    """Cost per million requests at a needed ``load.capacity``'s knee, against a budget."""

    name: ClassVar[str] = "load.cost"
    description: ClassVar[str] = (
        "Cost per million requests at the knee of a needed load.capacity (with headroom) within a budget."
    )
    Params: ClassVar[type[LoadCostParams]] = LoadCostParams
    #: Arithmetic on another criterion's result: it never talks to the service.
    offline: ClassVar[bool] = True

    #: ``golive validate`` warnings: no ``load.capacity`` in needs (the same function the family
    #: declares, so validating a spec need not import this module).
    warnings = staticmethod(cost_warnings)

    async def run(self, params: LoadCostParams, ctx: CheckContext) -> Outcome:
        """Price the knee of the capacity result and compare with ``max_cost_per_million``."""
        found = capacity_result(params, ctx)
        if isinstance(found, str):
            return no_data(found)
        values = {m.name: m.value for m in found.measurements}
        if values.get("knee_rps", 0.0) <= 0:
            return _no_knee(found)
        try:
            source = planning.from_result(found, f"criterion {found.criterion_id}")
        except UsageError as exc:
            raise CheckError(str(exc)) from None
        if source.knee_rps <= 0:
            return _no_knee(found)
        headroom = (
            params.headroom / 100.0
            if params.headroom is not None
            else float(source.recorded.get("headroom", DEFAULT_HEADROOM))
        )
        pricing = price_capacity(
            knee_rps=source.knee_rps,
            headroom=headroom,
            currency=params.currency,
            instance_hour_price=params.instance_hour_price,
        )
        return cost_outcome(pricing, params, source, found.criterion_id)


def _no_knee(found: CheckResult) -> Outcome:
    return no_data(
        f"{found.criterion_id} found no knee (no step met the SLO on enough requests), so there "
        f"is no throughput to price: make {found.criterion_id} pass first ({found.summary})"
    )


def capacity_result(params: LoadCostParams, ctx: CheckContext) -> CheckResult | str:
    """The needed ``load.capacity`` result, or why there is none (a no-data reason with the fix)."""
    if params.capacity is not None:
        result = ctx.needed.get(params.capacity)
        if result is None:
            return (
                f"no result of {params.capacity} in this review: list it in needs and run it with "
                f"{ctx.criterion_id} (e.g. --only {params.capacity} --only {ctx.criterion_id})"
            )
        if result.check_type != "load.capacity":
            raise CheckError(
                f"criterion {params.capacity} is a {result.check_type} check; capacity names a load.capacity"
            )
        return result
    found = [r for r in ctx.needed.values() if r.check_type == "load.capacity"]
    if len(found) > 1:
        names = ", ".join(r.criterion_id for r in found)
        raise CheckError(
            f"{ctx.criterion_id} needs several load.capacity criteria ({names}): name one in capacity"
        )
    if not found:
        return (
            "no load.capacity result to price: add the capacity criterion to needs and run it in the "
            "same review"
        )
    return found[0]


def cost_outcome(
    pricing: Pricing, params: LoadCostParams, source: CapacitySource, capacity_id: str
) -> Outcome:
    """Pass when a million requests at the planned utilisation cost at most the budget."""
    c, budget = pricing.currency, params.max_cost_per_million
    planned, knee = pricing.cost_per_million_planned, source.knee_rps
    used = knee * pricing.utilisation
    text = (
        f"{money(planned, c)} per million requests at {pricing.utilisation * 100:.0f}% of the knee "
        f"({used:.1f} of {knee:.1f} req/s per instance, {capacity_id}) at "
        f"{money(pricing.instance_hour_price, c)} per instance-hour"
    )
    status = Status.PASS if planned <= budget else Status.FAIL
    verdict = "within" if status is Status.PASS else "exceeds"
    excerpt = "\n".join(
        [
            f"knee: {knee:.2f} req/s per instance ({source.origin})",
            f"cost per million at the knee = {pricing.instance_hour_price:g} / ({knee:.2f} x 3600) x 1e6 "
            f"= {money(pricing.cost_per_million_at_knee, c)}",
            f"cost per million at {pricing.utilisation * 100:.0f}% utilisation = "
            f"{pricing.instance_hour_price:g} / ({used:.2f} x 3600) x 1e6 = {money(planned, c)}",
            f"budget: {money(budget, c)} per million requests",
        ]
    )
    return Outcome(
        status=status,
        summary=f"{text}: {verdict} the budget {money(budget, c)}",
        measurements=(
            Measurement(name="cost_per_million", value=planned, unit=f"{c}/1M req", target=f"<= {budget:g}"),
            Measurement(
                name="cost_per_million_at_knee", value=pricing.cost_per_million_at_knee, unit=f"{c}/1M req"
            ),
            Measurement(name="knee_rps", value=round(knee, 2), unit="req/s"),
            Measurement(name="instance_hour_price", value=pricing.instance_hour_price, unit=f"{c}/h"),
            Measurement(name="utilisation", value=round(pricing.utilisation * 100, 1), unit="%"),
        ),
        evidence=Evidence(excerpt=excerpt),
        reproducer=_reproducer(pricing, source),
    )


def _reproducer(pricing: Pricing, source: CapacitySource) -> str:
    """The capacity plan with this price: its header shows both costs per million requests."""
    if not source.origin.endswith("capacity.json") or not Path(source.origin).is_file():
        return ""
    command = (
        f"golive plan capacity --from {shlex.quote(source.origin)} "
        f"--instance-hour-price {pricing.instance_hour_price:g} "
        f"--headroom {(1 - pricing.utilisation) * 100:g}% --currency {pricing.currency}"
    )
    if "current_rps" not in source.recorded:
        # Traffic one instance serves at the planned utilisation: the plan needs some.
        command += f" --current-rps {source.knee_rps * pricing.utilisation:.2f}"
    return command
