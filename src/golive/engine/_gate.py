"""Which checks may run at the same time.

* **exclusive** checks (a load test that saturates the service, a recovery drill that times
  the restart) run with nothing else: they would corrupt what others measure;
* **disruptive** checks (a probe that trips the rate limit, a fuzzer flooding the API) disturb
  the service but time nothing on this machine: only **offline** checks (scanners, test suites
  on their own fixtures: nothing that talks to the service under review) run beside them;
* **performance** checks (latency, throughput, recovery time) never run while golive's own
  **CPU-heavy** local work (scanners, test suites, builds) runs, and the other way round:
  on a small machine golive's own load would otherwise be measured as the service's slowness;
* everything else shares the gate freely.

Disruptive waiters go first (offline work overlaps them, so they start while it can), then
exclusive waiters, then performance waiters, so none is starved. While a disruptive check runs
or waits, offline checks still enter: that is how scanners and test suites start at once
instead of after every exclusive check. While CPU-heavy work runs, an exclusive waiter cannot
start anyway: other work that may run beside it (not performance) enters meanwhile instead of
being pushed between the exclusive checks, where it would run alone.
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
    DISRUPTIVE = "disruptive"


class Gate:
    """Admits checks so that incompatible lanes never overlap (see the module docstring)."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._running = dict.fromkeys(Lane, 0)
        self._waiting = dict.fromkeys(Lane, 0)
        #: Running checks that talk to the service under review (all but offline ones).
        self._online = 0

    def _may_enter(self, lane: Lane, offline: bool) -> bool:
        running, waiting = self._running, self._waiting
        if running[Lane.EXCLUSIVE]:
            return False
        if lane is Lane.EXCLUSIVE:
            return not any(running.values()) and not waiting[Lane.DISRUPTIVE]
        if lane is Lane.DISRUPTIVE:
            return not running[Lane.DISRUPTIVE] and not self._online
        # While the service is disturbed only offline work proceeds, and it need not yield
        # to exclusive or performance waiters: those cannot start before the disruption ends.
        disrupted = bool(running[Lane.DISRUPTIVE] or waiting[Lane.DISRUPTIVE])
        if disrupted and not offline:
            return False
        # An exclusive waiter holds others back only once it could start: while heavy work
        # runs it cannot, and what enters now would otherwise run later, alone.
        if not disrupted and waiting[Lane.EXCLUSIVE] and not running[Lane.HEAVY]:
            return False
        if lane is Lane.PERFORMANCE:
            return not running[Lane.HEAVY]
        if lane is Lane.HEAVY:
            return not running[Lane.PERFORMANCE] and (disrupted or not waiting[Lane.PERFORMANCE])
        return True

    @contextlib.asynccontextmanager
    async def enter(self, lane: Lane, *, offline: bool = False) -> AsyncIterator[None]:
        """Hold the gate in ``lane`` for the duration of the block.

        ``offline``: the check never talks to the service under review, so it may run beside a
        disruptive check (an exclusive or disruptive check itself is never offline).
        """
        offline = offline and lane not in (Lane.EXCLUSIVE, Lane.DISRUPTIVE)
        async with self._cond:
            self._waiting[lane] += 1
            try:
                await self._cond.wait_for(lambda: self._may_enter(lane, offline))
            finally:
                self._waiting[lane] -= 1
            self._running[lane] += 1
            self._online += not offline
        try:
            yield
        finally:
            async with self._cond:
                self._running[lane] -= 1
                self._online -= not offline
                self._cond.notify_all()

    def shared(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the gate together with other shared holders."""
        return self.enter(Lane.SHARED)

    def exclusive(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the gate alone."""
        return self.enter(Lane.EXCLUSIVE)
