"""Pricing capacity: instance-hours, monthly cost and cost per million requests.

One instance serves at most its knee (the highest throughput that met the SLO), so a million
requests cost at least ``price per hour / (knee x 3600) x 1e6``. A plan runs instances below the
knee to keep headroom, so the figure a budget is compared with is the one at the planned
utilisation: the knee scaled by ``1 - headroom``. A month is 730 hours (8760 / 12), the figure
cloud price lists use, so a monthly price per instance and an hourly one convert exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HOURS_PER_MONTH", "Pricing", "cost_per_million", "money", "price_capacity"]

#: Hours in a month (8760 / 12), used to convert between hourly and monthly prices.
HOURS_PER_MONTH = 730.0


def cost_per_million(hour_price: float, rps: float) -> float:
    """What a million requests cost when instances at ``hour_price`` an hour each serve ``rps``."""
    if rps <= 0:
        raise ValueError("a cost per request needs a throughput above 0 req/s")
    return hour_price / (rps * 3600.0) * 1e6


@dataclass(frozen=True, kw_only=True)
class Pricing:
    """The price of one instance and what a million requests cost on it."""

    instance_hour_price: float
    instance_month_price: float
    currency: str
    hours_per_month: float
    #: Cost of a million requests on instances running at the knee (the cheapest the SLO allows).
    cost_per_million_at_knee: float
    #: The same at the planned utilisation (the knee less the headroom): what the plan pays.
    cost_per_million_planned: float
    #: Planned utilisation of an instance's knee, 0-1.
    utilisation: float


def price_capacity(
    *,
    knee_rps: float,
    headroom: float,
    currency: str,
    instance_hour_price: float | None = None,
    instance_month_price: float | None = None,
) -> Pricing:
    """Price one instance from an hourly or a monthly price (exactly one of them)."""
    if instance_hour_price is not None and instance_month_price is None:
        hourly, monthly = instance_hour_price, instance_hour_price * HOURS_PER_MONTH
    elif instance_month_price is not None and instance_hour_price is None:
        hourly, monthly = instance_month_price / HOURS_PER_MONTH, instance_month_price
    else:
        raise ValueError("give a price per instance-hour or per instance-month, not both")
    utilisation = 1.0 - headroom
    return Pricing(
        instance_hour_price=hourly,
        instance_month_price=monthly,
        currency=currency,
        hours_per_month=HOURS_PER_MONTH,
        cost_per_million_at_knee=cost_per_million(hourly, knee_rps),
        cost_per_million_planned=cost_per_million(hourly, knee_rps * utilisation),
        utilisation=utilisation,
    )


def money(value: float, currency: str) -> str:
    """``1,234.57 EUR``; amounts below one keep four significant digits (``0.003086 EUR``)."""
    if abs(value) >= 1 or value == 0:
        return f"{value:,.2f} {currency}"
    return f"{value:.4g} {currency}"
