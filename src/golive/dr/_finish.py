"""The end of a drill: its cleanup, and its report.

The cleanup removes everything the drill created and brings back a service it took down.

Runs after every drill, also when it failed, timed out or was cancelled (shielded by the
caller). Each step is timed and recorded; a failing step is a problem of the drill, never an
exception that would skip the steps after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from typing import TYPE_CHECKING

from golive.dr import _postgres as pg
from golive.dr import _sqlite as lite
from golive.dr._instance import probe
from golive.dr._report import DrillReport
from golive.dr._urls import DbKind

if TYPE_CHECKING:
    from golive.dr._drill import _Drill
    from golive.dr._in_place import InPlace

__all__ = ["build_report", "cleanup"]


async def _settle_in_place(d: _Drill, place: InPlace) -> None:
    """Keep a verified recovery; otherwise put the original database back and bring the service back."""
    cfg = d.cfg
    recovered = d.completed and not d.problems
    if recovered:
        async with d.cleanup_step("remove the lost database (the recovery is verified)", bool(place.moved)):
            await asyncio.to_thread(place.discard_lost)
        return
    if place.moved:
        async with d.cleanup_step("put the service's original database back", True) as s:
            if place.restarted and cfg.stop is not None:
                # The service runs on the failed restore: no file is swapped under a live service.
                await d.command("stop command", cfg.stop, s)
            await asyncio.to_thread(place.put_back)
            s.detail = f"{place.path} is the original again"
    if d.loss_at is None or cfg.restart is None:
        return
    answering, _ = await probe(d.ctx, place.url)
    if answering:
        return
    async with d.cleanup_step("restart the service on its original database", True) as s:
        await d.command("restart command", cfg.restart, s)
        s.detail += f"; {place.url} answered {await place.wait(cfg.ready_timeout)}"


async def _remove_markers(d: _Drill) -> None:
    cfg = d.cfg
    async with d.cleanup_step("remove drill markers from the source", True):
        if cfg.source.kind is DbKind.POSTGRESQL:
            await asyncio.to_thread(
                pg.remove_markers, cfg.source, cfg.marker_table, d.drill_id, drop_table=d.created_marker_table
            )
        else:
            await asyncio.to_thread(
                lite.remove_markers,
                cfg.source.sqlite_path,
                cfg.marker_table,
                d.drill_id,
                drop_table=d.created_marker_table,
            )


async def cleanup(d: _Drill) -> None:
    """Stop, drop, close, put back and remove whatever the drill created; restart the service."""
    cfg = d.cfg
    async with d.cleanup_step("stop restored instance", d.service is not None):
        if d.service is not None:
            await d.service.stop()
    async with d.cleanup_step("stop marker writer", d.writer is not None and d.loss_at is None):
        if d.writer is not None:
            await d.writer.stop()
    if d.scratch is not None and cfg.source.kind is DbKind.POSTGRESQL:
        async with d.cleanup_step(f"drop scratch database {d.scratch.name}", True):
            # Dropping first terminates sessions of snapshots whose queries are still running.
            server = cfg.scratch_server or cfg.source
            await asyncio.to_thread(pg.drop_database, server, d.scratch.name)
    for snap in list(d.snapshots):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(d.close_snapshot(snap), 10.0)
    if d.place is not None:
        await _settle_in_place(d, d.place)
    await _remove_markers(d)
    async with d.cleanup_step("remove scratch files", True):
        if cfg.keep_backup and d.backup_path.exists():
            d.ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
            kept = d.ctx.artifacts_dir / d.backup_path.name
            await asyncio.to_thread(shutil.move, str(d.backup_path), str(kept))
        await asyncio.to_thread(shutil.rmtree, d.scratch_dir, True)
    if cfg.restart is not None and d.loss_at is not None and d.place is None:
        async with d.cleanup_step("restart the source instance", True) as s:
            await d.command("restart command", cfg.restart, s)


def build_report(d: _Drill, started_at: str, *, interrupted: bool = False) -> DrillReport:
    """The drill's report: RTO and RPO from its clock and markers, judged against the objectives."""
    cfg, w, found = d.cfg, d.writer, d.verified
    rto = (d.ready_at - d.loss_at) if d.ready_at and d.loss_at else None
    rpo: float | None = None
    if w is not None and d.last_before_loss is not None and d.ready_at is not None:
        last_t = w.committed[d.last_before_loss]
        if found.newest_marker is None:
            d.problems.append("no RPO marker in the restored copy: the backup lost all of them")
            rpo = last_t - min(w.committed.values())
        else:
            rpo = last_t - w.committed.get(found.newest_marker, last_t)
    if rto is not None and cfg.rto is not None and rto > cfg.rto:
        d.problems.append(f"RTO {rto:.1f}s exceeds the objective {cfg.rto:g}s")
    if rpo is not None and cfg.rpo is not None and rpo > cfg.rpo:
        d.problems.append(f"RPO {rpo:.1f}s exceeds the objective {cfg.rpo:g}s")
    if w is not None and w.errors:
        d.notes.append(f"{len(w.errors)} marker write(s) failed, e.g. {w.errors[0]}")
    return DrillReport(
        drill_id=d.drill_id,
        kind=cfg.source.kind.value,
        started_at=started_at,
        steps=tuple(d.tl.steps),
        problems=tuple(d.problems),
        notes=tuple(d.notes),
        rto_s=rto,
        rpo_s=rpo,
        rto_target_s=cfg.rto,
        rpo_target_s=cfg.rpo,
        backup_bytes=d.backup_bytes,
        database_bytes=found.database_bytes,
        restore_s=d.tl.duration("restore"),
        verify_s=d.tl.duration("verify checksums") + d.tl.duration("verify queries, markers, migrations"),
        tables=found.tables,
        rows=found.rows,
        markers_written=len(w.committed) if w else 0,
        newest_marker_before_loss=d.last_before_loss,
        newest_marker_restored=found.newest_marker,
        revision=found.revision,
        scratch_database=d.scratch.name if d.scratch else "",
        recovery=cfg.recovery,
        interrupted=interrupted,
    )
