"""Which checks may run at the same time.

* **exclusive** checks (an alert drill that makes every request fail, a load test that
  saturates the service) run with nothing else: they would corrupt what others measure;
* **performance** checks (latency, throughput, recovery time) never run while golive's own
  **CPU-heavy** local work (scanners, test suites, builds) runs, and the other way round:
  on a small machine golive's own load would otherwise be measured as the service's slowness;
* everything else shares the gate freely.

Exclusive waiters go first, then performance waiters, so neither is starved.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncIterator


class Lane(enum.Enum):
    """How a check shares the machine."""

    SHARED = "shared"
    HEAVY = "heavy"
    PERFORMANCE = "performance"
    EXCLUSIVE = "exclusive"


class Gate:
    """Admits checks so that incompatible lanes never overlap (see the module docstring)."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._running = dict.fromkeys(Lane, 0)
        self._waiting = dict.fromkeys(Lane, 0)

    def _may_enter(self, lane: Lane) -> bool:
        running, waiting = self._running, self._waiting
        if running[Lane.EXCLUSIVE]:
            return False
        if lane is Lane.EXCLUSIVE:
            return not any(running.values())
        if waiting[Lane.EXCLUSIVE]:
            return False
        if lane is Lane.PERFORMANCE:
            return not running[Lane.HEAVY]
        if lane is Lane.HEAVY:
            return not running[Lane.PERFORMANCE] and not waiting[Lane.PERFORMANCE]
        return True

    @contextlib.asynccontextmanager
    async def enter(self, lane: Lane) -> AsyncIterator[None]:
        """Hold the gate in ``lane`` for the duration of the block."""
        async with self._cond:
            self._waiting[lane] += 1
            try:
                await self._cond.wait_for(lambda: self._may_enter(lane))
            finally:
                self._waiting[lane] -= 1
            self._running[lane] += 1
        try:
            yield
        finally:
            async with self._cond:
                self._running[lane] -= 1
                self._cond.notify_all()

    def shared(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the gate together with other shared holders."""
        return self.enter(Lane.SHARED)

    def exclusive(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the gate alone."""
        return self.enter(Lane.EXCLUSIVE)
