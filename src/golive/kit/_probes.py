"""Health probes a started server is polled with until it is ready (HTTP 2xx, or a TCP accept)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # httpx is imported when a probe runs, not with every command (start-up time)
    import httpx

HealthProbe = Callable[[], Awaitable[bool]]
"""An async predicate: True once the service is ready."""


def http_probe(url: str, *, client: httpx.AsyncClient | None = None) -> HealthProbe:
    """Ready when ``url`` answers 2xx."""

    async def probe() -> bool:
        import httpx

        try:
            if client is not None:
                response = await client.get(url, timeout=2.0)
            else:
                async with httpx.AsyncClient(timeout=2.0) as own:
                    response = await own.get(url)
        except httpx.HTTPError:
            return False
        return 200 <= response.status_code < 300

    return probe


def tcp_probe(host: str, port: int) -> HealthProbe:
    """Ready when ``host:port`` accepts a TCP connection."""

    async def probe() -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    return probe
