"""RPO markers: rows written to the source at a fixed interval while the drill backs it up.

The newest marker that made it into the restored copy, against the newest one committed
before the loss, is the data the recovery lost: the measured RPO.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Protocol

from golive.dr.base import DrError

__all__ = ["MarkerLoop", "MarkerWriter"]


class MarkerWriter(Protocol):
    """Writes one marker row (PostgreSQL or SQLite, see the database modules)."""

    def write(self, seq: int) -> None:
        """Commit marker ``seq``."""
        ...

    def close(self) -> None:
        """Close the writer's connection."""
        ...


class MarkerLoop:
    """Writes marker rows at a fixed interval and remembers when each one was committed."""

    def __init__(self, writer: MarkerWriter, interval: float) -> None:
        self.writer = writer
        self.interval = interval
        self.committed: dict[int, float] = {}
        self.errors: list[str] = []
        self.running = asyncio.Event()
        self.running.set()
        self._stop = False
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start writing in a task of the running event loop."""
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        seq = 0
        while not self._stop:
            await self.running.wait()
            if self._stop:
                break
            seq += 1
            try:
                await asyncio.to_thread(self.writer.write, seq)
                self.committed[seq] = time.monotonic()
            except Exception as exc:  # a failed marker is recorded; the drill goes on
                self.errors.append(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
            await asyncio.sleep(self.interval)

    async def wait_for(self, n: int, timeout: float) -> None:
        """Wait until ``n`` markers are committed; DrError when that takes over ``timeout``."""
        deadline = time.monotonic() + timeout
        while len(self.committed) < n and time.monotonic() < deadline:
            await asyncio.sleep(self.interval / 2)
        if len(self.committed) < n:
            raise DrError(
                f"marker writer committed {len(self.committed)} of {n} markers in {timeout:g}s"
                + (f": {self.errors[-1]}" if self.errors else "")
            )

    async def stop(self) -> None:
        """Stop writing and close the writer (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stop = True
        self.running.set()
        if self._task is not None:
            task, self._task = self._task, None
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10.0)
        await asyncio.to_thread(self.writer.close)

    @property
    def last(self) -> int | None:
        """The newest committed marker."""
        return max(self.committed) if self.committed else None
