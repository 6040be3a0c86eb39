"""Rate limiting per client IP, per user and per login identity (the ``limits`` library).

Counters live in process memory, or in Redis when ``REDIS_URL`` is set so that every instance
shares them. If Redis is unreachable the limiter fails open (logged): losing rate limiting for a
moment is better than refusing all traffic.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
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
        if settings.redis_url:
            uri = settings.redis_url.replace("redis://", "async+redis://", 1)
            self.storage: Storage = cast(
                Storage,
                storage_from_string(
                    uri, implementation="redispy", key_prefix=settings.rate_limit_key_prefix
                ),
            )
        else:
            self.storage = MemoryStorage()
        self.strategy = MovingWindowRateLimiter(self.storage)
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
        try:
            if await self.strategy.hit(item, scope, key):
                return Decision(True)
            stats = await self.strategy.get_window_stats(item, scope, key)
        except Exception:  # noqa: BLE001 - fail open, see module docstring
            log.warning("rate limiter storage unavailable; allowing request", exc_info=True)
            return Decision(True)
        metrics.RATE_LIMITED.labels(scope).inc()
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        return Decision(False, retry)

    async def ready(self) -> bool:
        """Whether the storage answers (always true in memory)."""
        try:
            return bool(await self.storage.check())
        except Exception:  # noqa: BLE001
            return False

    async def reset(self) -> None:
        """Forget all counters (tests and drills)."""
        await self.storage.reset()
