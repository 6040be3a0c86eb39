"""Stacks left behind by a review that died: recorded while they run, reaped by a later ``up``.

The watchdog of :func:`golive.kit.processes.review_sweeper` normally ends a dead review's
stack. Should it have been killed as well, the next review of the same spec finds the
record its stack left in ``.golive/stacks/`` and sweeps that stack's marker before starting
its own (the old one would hold the ports). A record is stale only when the golive process
that wrote it is gone (pid and start time), and the sweep matches only processes carrying
the stack's random marker, so a reused pid is never signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from golive.kit.files import atomic_write
from golive.kit.processes import ManagedProcess, process_start, sweep


def _folder(workdir: Path) -> Path:
    return workdir / ".golive" / "stacks"


def record(workdir: Path, proc: ManagedProcess) -> Path | None:
    """Note that this golive runs the stack ``proc`` started; the record to remove at the end."""
    if not proc.marker:
        return None
    path = _folder(workdir) / f"{proc.marker}.json"
    owner = os.getpid()
    data = {"marker": proc.marker, "owner": owner, "owner_started": process_start(owner), "up": proc.pid}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(data))
        return path
    return None


def reap(workdir: Path) -> list[str]:
    """Sweep every recorded stack whose golive is gone; the markers that were swept."""
    swept = []
    folder = _folder(workdir)
    for path in sorted(folder.glob("GOLIVE_PROC_*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text())
            marker, owner, started = data["marker"], data["owner"], data["owner_started"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not isinstance(marker, str) or f"{marker}.json" != path.name or not isinstance(owner, int):
            continue
        if process_start(owner) == started and started is not None:
            continue  # its golive still runs (a concurrent review of the same spec)
        sweep(marker)
        swept.append(marker)
        path.unlink(missing_ok=True)
    return swept
