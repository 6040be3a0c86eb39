"""Requests golive sends to the service so that the metrics a check judges have something to count.

The alert drill sends them around the fault (an error ratio needs requests); ``prometheus.query``
sends them while it waits for a freshly started service's first series. Requests go only to a
target the guards allow, and every answer is counted by class, so a summary can say how much of
what it judged was golive's own traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import httpx

from golive.kit.check import CheckContext
from golive.monitoring._params import TrafficParams


def guard(ctx: CheckContext, params: TrafficParams, what: str) -> str:
    """The URL traffic goes to; CheckError when it would leave loopback / ``allow_hosts``."""
    url = ctx.url(params.path)
    ctx.require_target(url, what=what)
    return url


async def send(ctx: CheckContext, params: TrafficParams, counts: dict[str, int]) -> None:
    """Send requests at ``rps`` until cancelled, counting answers by class (``2xx``, ``failed``)."""
    url = ctx.url(params.path)
    interval = 1.0 / params.rps
    while True:
        started = time.monotonic()
        try:
            response = await ctx.http.request(params.method, url, timeout=5.0)
            key = f"{response.status_code // 100}xx"
        except httpx.HTTPError:
            key = "failed"
        counts[key] = counts.get(key, 0) + 1
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


async def stop(task: asyncio.Task[None] | None) -> None:
    """Cancel a :func:`send` task and wait until it has stopped."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass(kw_only=True)
class Traffic:
    """Background traffic for the duration of an ``async with`` block."""

    ctx: CheckContext
    params: TrafficParams
    counts: dict[str, int] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Traffic:
        self._task = asyncio.create_task(send(self.ctx, self.params, self.counts))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await stop(self._task)
        self._task = None

    @property
    def total(self) -> int:
        """Requests answered or failed so far."""
        return sum(self.counts.values())

    def describe(self) -> str:
        """``golive sent 62 GET /products (62 2xx)``."""
        classes = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))
        return f"golive sent {self.total} {self.params.method} {self.params.path}" + (
            f" ({classes})" if classes else ""
        )
