"""In-place recovery: the drill really loses the service's database and recovers the service.

The loss is real: the service is stopped (and golive proves it no longer answers), its database
files are taken away, the backup is restored into the very place the service reads, the service
is restarted and the RTO clock runs until it answers again.

golive does this only to what it created for the review (:func:`refusal`): a SQLite database
of an environment whose local stack golive starts (``up``), inside the spec's ``.golive/``
directory where such a stack keeps its state; never in production. The lost files are moved
aside, not deleted, until the recovery is verified: when anything fails, the original files go
back and the service is restarted on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from golive.dr._instance import probe, wait_answering
from golive.dr._urls import DbKind, DbUrl
from golive.dr.base import DrError
from golive.kit.check import CheckContext

__all__ = ["InPlace", "refusal"]

#: Files of one SQLite database (the journal and WAL files go with the main file).
_SUFFIXES = ("", "-wal", "-shm", "-journal")


def refusal(ctx: CheckContext, source: DbUrl) -> str:
    """Why golive must not remove ``source`` ("" when it is a database golive created for the review)."""
    if ctx.environment.up is None:
        return (
            f"recovery: in_place removes the service's database; golive does that only to a local stack "
            f"it starts for the review, and environment {ctx.environment_name!r} has no `up`: use "
            "recovery: scratch"
        )
    refused = ctx.destructive_refusal("the in-place recovery drill")
    if refused:
        return refused
    if source.kind is not DbKind.SQLITE:
        return (
            "recovery: in_place supports the SQLite database of a local stack; for PostgreSQL use "
            "recovery: scratch"
        )
    state = (ctx.workdir / ".golive").resolve()
    path = source.sqlite_path.resolve()
    if state not in path.parents:
        return (
            f"recovery: in_place would remove {path}; golive removes only a database inside {state} "
            "(the state directory of the local stack it starts for the review)"
        )
    if not path.is_file():
        return f"recovery: in_place: the service's database {path} does not exist"
    return ""


@dataclass(kw_only=True)
class InPlace:
    """The loss and recovery of one service's own SQLite database."""

    ctx: CheckContext
    path: Path
    url: str
    drill_id: str
    #: (where the service reads it, where the lost file waits), once moved aside.
    moved: list[tuple[Path, Path]] = field(default_factory=list)
    #: The inode of the restored database, to prove the service answers from it.
    restored_inode: int | None = None
    restarted: bool = False

    async def lose(self) -> str:
        """Prove the stopped service no longer answers, then take its database away."""
        answering, seen = await probe(self.ctx, self.url)
        if answering:
            raise DrError(f"the stop command did not stop the service: {self.url} still answers {seen}")
        lost = self.path.with_name(f"{self.path.name}.golive-dr-lost-{self.drill_id}")
        for suffix in _SUFFIXES:
            here, there = Path(f"{self.path}{suffix}"), Path(f"{lost}{suffix}")
            if here.exists():
                os.rename(here, there)
                self.moved.append((here, there))
        if self.path.exists():
            raise DrError(f"{self.path} still exists after it was moved aside")
        return (
            f"{self.path} taken away (kept as {lost.name} until the recovery is verified); {self.url}: {seen}"
        )

    def restored(self) -> str:
        """Remember the restored file; DrError when the restore did not write the service's database."""
        if not self.path.is_file():
            raise DrError(f"the restore did not write the service's database {self.path}")
        self.restored_inode = self.path.stat().st_ino
        return f"{self.path} ({self.path.stat().st_size} bytes)"

    def _replaced(self) -> str:
        try:
            inode = self.path.stat().st_ino
        except OSError:
            return f"the service's database {self.path} disappeared after the recovery"
        if inode != self.restored_inode:
            return (
                f"the service replaced its database {self.path} after the restore: it does not run on "
                "the restored data"
            )
        return ""

    async def stays_up(self, until: float) -> tuple[str, str]:
        """(problem or "", detail): the service answers until ``until``, on the file golive restored."""
        answers = 0
        while True:
            ok, seen = await probe(self.ctx, self.url)
            if not ok:
                return f"the service stopped answering after the recovery: {self.url} {seen}", seen
            answers += 1
            if time.monotonic() >= until:
                break
            await asyncio.sleep(min(0.2, max(0.0, until - time.monotonic())))
        replaced = self._replaced()
        detail = f"{self.path.name} is the restored file; {self.url} answered {answers} time(s) in a row"
        return replaced, detail

    def discard_lost(self) -> None:
        """The recovery is verified: the lost files go."""
        for _, there in self.moved:
            with contextlib.suppress(FileNotFoundError):
                there.unlink()
        self.moved.clear()

    def put_back(self) -> None:
        """The recovery failed: whatever the restore left is deleted, the original files come back."""
        for suffix in _SUFFIXES:
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        for here, there in self.moved:
            os.rename(there, here)
        self.moved.clear()

    async def wait(self, timeout: float) -> str:
        """Wait until the service answers again."""
        return await wait_answering(self.ctx, self.url, timeout=timeout)
