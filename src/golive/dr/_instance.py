"""The restored instance: the service started on the restored copy, as a managed process.

It runs in its own process group (stopped as a whole by the drill's cleanup) and dies with
golive; it is ready when its readiness URL answers 2xx, which is when the RTO clock stops.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import httpx

from golive.dr.base import DrError
from golive.kit.check import CheckContext
from golive.kit.processes import ManagedProcess, ProcessStartError
from golive.kit.text import excerpt

__all__ = ["start_instance", "wait_ready"]


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
