"""``prometheus.query`` on a service that just started: wait (bounded) for data, sending traffic.

A review that starts the stack asks Prometheus about a service seconds old: an SLO ratio over
requests has no requests yet, a ``rate()`` needs two scrapes. With ``wait_for_data`` the query
is asked again until it returns a number (NaN is not one) or the bound passes; with ``traffic``
golive sends requests meanwhile. What was waited and sent is reported with the verdict, and a
query that never returns data is ``no-data`` with what it needs, never a ``fail``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass

from golive.kit.check import CheckContext
from golive.kit.prometheus import PrometheusClient, Sample
from golive.monitoring._params import PrometheusQueryParams
from golive.monitoring._traffic import Traffic, guard
from golive.results import Measurement


@dataclass(frozen=True, kw_only=True)
class Waited:
    """The last answer, how long it took to come, and golive's own traffic meanwhile."""

    samples: list[Sample]
    waited_s: float
    #: ``wait_for_data``: 0 when the check asked once.
    allowed_s: float = 0.0
    traffic: str = ""
    traffic_requests: int = 0

    @property
    def note(self) -> str:
        """`` (data after 3.2 s; golive sent 64 GET /products (64 2xx))`` for a summary."""
        parts = [f"data after {self.waited_s:.1f} s" if self.waited_s >= 0.05 else ""]
        parts.append(self.traffic)
        shown = "; ".join(p for p in parts if p)
        return f" ({shown})" if shown else ""

    def measurements(self) -> tuple[Measurement, ...]:
        """The wait and golive's requests, when the check was asked to wait."""
        if self.allowed_s <= 0:
            return ()
        found = [
            Measurement(
                name="waited_for_data",
                value=round(self.waited_s, 2),
                unit="s",
                target=f"<= {self.allowed_s:g}",
            )
        ]
        if self.traffic:
            found.append(Measurement(name="golive_requests", value=self.traffic_requests))
        return tuple(found)


def usable(samples: list[Sample]) -> list[Sample]:
    """Samples that hold a number (NaN is "no data"; ±Inf is a value and is compared)."""
    return [s for s in samples if not math.isnan(s.value)]


async def query_until_data(
    api: PrometheusClient, query: str, params: PrometheusQueryParams, ctx: CheckContext
) -> Waited:
    """Ask once, or until the query returns a number within ``wait_for_data`` (PrometheusError
    propagates); golive's traffic runs meanwhile when ``traffic`` is set."""
    started = time.monotonic()
    deadline = started + params.wait_for_data
    async with contextlib.AsyncExitStack() as stack:
        traffic: Traffic | None = None
        if params.traffic is not None:
            guard(ctx, params.traffic, what=f"{ctx.criterion_id} traffic")
            traffic = await stack.enter_async_context(Traffic(ctx=ctx, params=params.traffic))
        while True:
            samples = await api.query(query)
            now = time.monotonic()
            if usable(samples) or now >= deadline:
                break
            await asyncio.sleep(min(1.0, max(0.05, deadline - now)))
    return Waited(
        samples=samples,
        waited_s=now - started,
        allowed_s=params.wait_for_data,
        traffic=traffic.describe() if traffic is not None else "",
        traffic_requests=traffic.total if traffic is not None else 0,
    )


def no_data_summary(query: str, samples: list[Sample], waited: Waited, params: PrometheusQueryParams) -> str:
    """Why there is nothing to judge, and what the check needs to have something."""
    nan = " (only NaN)" if samples else ""
    if params.wait_for_data <= 0:
        return (
            f"query returned no data{nan}: {query}; it needs series in Prometheus: on a service "
            "that just started, give the check wait_for_data (and traffic: {path: ...} when "
            "nothing else sends requests)"
        )
    sent = f"; {waited.traffic}" if waited.traffic else ""
    hint = (
        "check that Prometheus scrapes the service and loads the rules the query reads"
        if waited.traffic
        else "if nothing sends requests to the service, give the check traffic: {path: ...}"
    )
    return f"query returned no data{nan} after waiting {waited.waited_s:.0f} s{sent}: {query}; {hint}"
