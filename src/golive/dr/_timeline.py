"""The drill's clock: every step timed on one monotonic clock, failed steps recorded too."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

__all__ = ["StepHandle", "StepRecord", "Timeline"]


@dataclass(frozen=True, kw_only=True)
class StepRecord:
    """One timed step of the drill."""

    name: str
    started_s: float
    duration_s: float
    ok: bool
    detail: str = ""


@dataclass
class StepHandle:
    """What the body of a running step may say about it (shown in the timeline)."""

    detail: str = ""


class Timeline:
    """Steps on one monotonic clock, started when the drill starts."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.steps: list[StepRecord] = []

    def now(self) -> float:
        """Seconds since the drill started."""
        return time.monotonic() - self.t0

    @contextlib.asynccontextmanager
    async def step(self, name: str) -> AsyncIterator[StepHandle]:
        """Time a step; it is recorded as failed when its body raises (or is cancelled)."""
        start = self.now()
        handle = StepHandle()
        try:
            yield handle
        except BaseException as exc:
            reason = "interrupted" if isinstance(exc, asyncio.CancelledError) else str(exc)
            detail = f"{handle.detail}; {reason}" if handle.detail else reason
            self.steps.append(
                StepRecord(name=name, started_s=start, duration_s=self.now() - start, ok=False, detail=detail)
            )
            raise
        self.steps.append(
            StepRecord(
                name=name, started_s=start, duration_s=self.now() - start, ok=True, detail=handle.detail
            )
        )

    def duration(self, name: str) -> float:
        """Total duration of the steps called ``name``."""
        return sum(s.duration_s for s in self.steps if s.name == name)
