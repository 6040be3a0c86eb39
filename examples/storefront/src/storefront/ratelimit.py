"""Rate limiting per client IP, per user and per login identity (the ``limits`` library).

Counters live in process memory, or in Redis when ``REDIS_URL`` is set so that every instance
shares them. If Redis is unreachable the limiter fails open (logged): losing rate limiting for a
moment is better than refusing all traffic.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from storefront import metrics
from storefront.config import Settings

log = logging.getLogger("storefront.ratelimit")


@dataclass(frozen=True)
class Decision:
    """Outcome of a rate-limit check."""

    allowed: bool
    retry_after: int = 0


class RateLimiter:
    """Named limits (``ip``, ``user``, ``login``) over a shared storage."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.shared = bool(settings.redis_url)
        # In process memory: limits' asyncio memory storage sends every key to a worker thread on
        # every hit to expire it (its sync one starts a thread), which cost more than the requests
        # it guarded. MovingWindows counts the same moving window on the event loop.
        self.memory: MovingWindows | None = None
        if settings.redis_url:
            uri = settings.redis_url.replace("redis://", "async+redis://", 1)
            self.storage: Storage = cast(
                Storage,
                storage_from_string(
                    uri, implementation="redispy", key_prefix=settings.rate_limit_key_prefix
                ),
            )
            self.strategy = MovingWindowRateLimiter(self.storage)
        else:
            self.memory = MovingWindows()
        self.limits: dict[str, RateLimitItem] = {
            "ip": parse(settings.rate_limit_ip),
            "user": parse(settings.rate_limit_user),
            "login": parse(settings.rate_limit_login),
        }

    async def hit(self, scope: str, key: str) -> Decision:
        """Count one request for ``key`` under limit ``scope``."""
        if not self.enabled:
            return Decision(True)
        item = self.limits[scope]
        if self.memory is not None:
            reset_time = self.memory.hit(f"{scope}/{key}", item.amount, item.get_expiry())
            return Decision(True) if reset_time is None else self._refused(scope, reset_time)
        try:
            if await self.strategy.hit(item, scope, key):
                return Decision(True)
            stats = await self.strategy.get_window_stats(item, scope, key)
        except Exception:  # noqa: BLE001 - fail open, see module docstring
            log.warning("rate limiter storage unavailable; allowing request", exc_info=True)
            return Decision(True)
        return self._refused(scope, stats.reset_time)

    @staticmethod
    def _refused(scope: str, reset_time: float) -> Decision:
        metrics.RATE_LIMITED.labels(scope).inc()
        return Decision(False, max(1, math.ceil(reset_time - time.time())))

    async def ready(self) -> bool:
        """Whether the storage answers (always true in memory)."""
        if self.memory is not None:
            return True
        try:
            return bool(await self.storage.check())
        except Exception:  # noqa: BLE001
            return False

    async def reset(self) -> None:
        """Forget all counters (tests and drills)."""
        if self.memory is not None:
            self.memory.reset()
        else:
            await self.storage.reset()


class MovingWindows:
    """In-memory moving-window counters, as ``limits``' moving window counts them.

    Used from the event loop only (no locks). A hit is allowed when fewer than ``limit`` hits
    of the key fall in the last ``expiry`` seconds; keys with no hit in their window are
    forgotten every ``SWEEP_S`` seconds, so memory follows the active keys.
    """

    SWEEP_S = 10.0

    def __init__(self) -> None:
        self.hits: dict[str, tuple[float, deque[float]]] = {}
        self.next_sweep = time.time() + self.SWEEP_S

    def hit(self, key: str, limit: int, expiry: float) -> float | None:
        """Count a hit; ``None`` when allowed, else when the window frees a slot (epoch s)."""
        now = time.time()
        if now >= self.next_sweep:
            self._sweep(now)
        entry = self.hits.get(key)
        if entry is None:
            entry = self.hits[key] = (expiry, deque())
        times = entry[1]
        while times and times[0] < now - expiry:
            times.popleft()
        if len(times) >= limit:
            return times[0] + expiry
        times.append(now)
        return None

    def _sweep(self, now: float) -> None:
        self.next_sweep = now + self.SWEEP_S
        for key in [
            k for k, (expiry, times) in self.hits.items() if not times or times[-1] < now - expiry
        ]:
            del self.hits[key]

    def reset(self) -> None:
        """Forget every counter."""
        self.hits.clear()
