"""The service a drill brings back: a restored instance golive starts, or the service itself.

A restored instance (recovery: scratch) runs in its own process group (stopped as a whole by
the drill's cleanup) and dies with golive. Either is ready when its readiness URL answers 2xx,
which is when the RTO clock stops.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from golive.dr.base import DrError
from golive.kit.check import CheckContext
from golive.kit.processes import ManagedProcess, ProcessStartError
from golive.kit.text import excerpt

__all__ = ["probe", "start_instance", "wait_answering", "wait_ready"]


def start_instance(
    ctx: CheckContext, argv: tuple[str, ...], *, env: Mapping[str, str], log: Path
) -> ManagedProcess:
    """Start the restored instance; DrError when it cannot start at all."""
    try:
        return ctx.start(argv, log=log, name="restored instance", env=env)
    except ProcessStartError as exc:
        raise DrError(str(exc)) from None


async def wait_ready(ctx: CheckContext, instance: ManagedProcess, url: str, *, timeout: float) -> int:
    """Poll ``url`` until it answers 2xx and return that status; DrError when it exits or stalls."""
    last, status = "no answer", 0

    async def ready() -> bool:
        nonlocal last, status
        try:
            response = await ctx.http.get(url, timeout=2.0)
        except httpx.HTTPError as exc:
            last = type(exc).__name__
            return False
        status, last = response.status_code, f"HTTP {response.status_code}"
        return 200 <= status < 300

    try:
        await instance.wait_healthy(ready, timeout=timeout, what=url)
    except ProcessStartError:
        code = instance.returncode
        if code is not None:
            tail = excerpt(instance.log_tail(200), 1500)
            raise DrError(
                f"the restored instance exited with {code} before {url} was ready: {tail}"
            ) from None
        raise DrError(f"{url} not ready within {timeout:g}s ({last})") from None
    return status


async def probe(ctx: CheckContext, url: str) -> tuple[bool, str]:
    """One request: (answered 2xx, what it answered)."""
    try:
        response = await ctx.http.get(url, timeout=2.0)
    except httpx.HTTPError as exc:
        return False, type(exc).__name__
    return 200 <= response.status_code < 300, f"HTTP {response.status_code}"


async def wait_answering(ctx: CheckContext, url: str, *, timeout: float, interval: float = 0.05) -> str:
    """Poll a service golive did not start until ``url`` answers 2xx; DrError when it does not in time."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        ok, last = await probe(ctx, url)
        if ok:
            return last
        if time.monotonic() >= deadline:
            raise DrError(f"the service did not answer 2xx at {url} within {timeout:g}s ({last})")
        await asyncio.sleep(interval)
