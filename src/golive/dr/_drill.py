"""The recovery drill: back up under writes, lose the service, restore, start, verify, measure.

Every step is timed on one monotonic clock (:class:`~golive.dr._timeline.Timeline`) so that the
drill's evidence is a document on its own. Everything the drill creates (scratch database or
file, backup, the restored service's process group, marker rows) is removed in ``finally``
blocks that also run when the drill fails, times out or is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from golive.dr import _postgres as pg
from golive.dr import _sqlite as lite
from golive.dr._instance import start_instance, wait_ready
from golive.dr._markers import MarkerLoop, MarkerWriter
from golive.dr._params import resolve_command
from golive.dr._report import DrillReport, write_artifacts
from golive.dr._timeline import StepHandle, Timeline
from golive.dr._urls import DbKind, DbUrl
from golive.dr._verify import SourceState, Verification, VerifyQuery, verify_restored
from golive.dr.base import DrError, ScratchDatabase, Snapshot
from golive.kit.check import CheckContext
from golive.kit.environment import MissingVariableError, Variables
from golive.kit.files import FileWriteError
from golive.kit.processes import CommandLine, ManagedProcess, command_argv, free_port
from golive.kit.text import excerpt, redact

__all__ = ["DrillConfig", "DrillReport", "VerifyQuery", "run_drill"]

#: Variables the drill defines part-way through (see docs/dr.md).
_LATE_VARS = frozenset({"RESTORED_DATABASE_URL", "PG_SNAPSHOT"})


@dataclass(frozen=True, kw_only=True)
class DrillConfig:
    """What one drill does; built from the check's params by :mod:`golive.dr.checks`."""

    source: DbUrl
    scratch_server: DbUrl | None
    start: CommandLine
    stop: CommandLine | None = None
    restart: CommandLine | None = None
    backup_command: CommandLine | None = None
    restore_command: CommandLine | None = None
    ready_url: str = "http://127.0.0.1:${DRILL_PORT}/readyz"
    ready_timeout: float = 60.0
    jobs: int = 2
    marker_table: str = "golive_dr_markers"
    marker_interval: float = 0.1
    writes_after_backup: float = 1.0
    queries: tuple[VerifyQuery, ...] = ()
    exclude_tables: tuple[str, ...] = ()
    alembic_head: str | None = None
    rto: float | None = None
    rpo: float | None = None
    keep_backup: bool = False
    env: Mapping[str, str] = field(default_factory=dict)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


class _Drill:
    """State of one running drill; :meth:`run` returns the report, cleanup always runs."""

    def __init__(self, cfg: DrillConfig, ctx: CheckContext) -> None:
        self.cfg = cfg
        self.ctx = ctx
        self.tl = Timeline()
        self.drill_id = secrets.token_hex(4)
        self.port = free_port()
        self.scratch_dir = Path(tempfile.mkdtemp(prefix=pg.SCRATCH_PREFIX))
        self.backup_path = self.scratch_dir / (
            "backup.dump" if cfg.source.kind is DbKind.POSTGRESQL else "backup.db"
        )
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.vars: dict[str, str] = {
            "DRILL_ID": self.drill_id,
            "DRILL_PORT": str(self.port),
            "SOURCE_DATABASE_URL": cfg.source.text,
            "BACKUP_FILE": str(self.backup_path),
            "RESTORE_JOBS": str(cfg.jobs),
        }
        self.scratch: ScratchDatabase | None = None
        self.service: ManagedProcess | None = None
        self.writer: MarkerLoop | None = None
        self.created_marker_table = False
        self.snapshots: list[Snapshot] = []
        #: What the backup snapshot held, read while the backup ran.
        self.source = SourceState()
        #: What the verification of the restored copy found.
        self.verified = Verification()
        self.backup_bytes = 0
        self.loss_at: float | None = None
        self.ready_at: float | None = None
        self.last_before_loss: int | None = None

    # -- helpers -------------------------------------------------------------------------------
    @property
    def _variables(self) -> Variables:
        """The spec's variables, with the drill's own (``${DRILL_PORT}``...) in the process env."""
        return self.ctx.variables.with_environ(self.vars)

    def _resolve(self, text: str) -> str:
        return self._variables.resolve(text)

    def _argv(self, command: CommandLine) -> tuple[str, ...]:
        return command_argv(resolve_command(self._variables, command))

    def _env(self) -> dict[str, str]:
        env = {}
        for key, value in self.cfg.env.items():
            try:
                env[key] = self._resolve(value)
            except MissingVariableError as exc:
                # ${RESTORED_DATABASE_URL} only exists once the scratch database does: commands
                # that run before it (backup, stop) simply do not get that variable.
                if exc.name not in _LATE_VARS:
                    raise
        env.update(self.vars)
        return env

    async def _command(self, label: str, command: CommandLine, step: StepHandle) -> None:
        argv = self._argv(command)
        result = await self.ctx.run(list(argv), cwd=self.ctx.workdir, env=self._env())
        step.detail = redact(result.command_line)
        if result.timed_out or result.returncode != 0:
            why = "timed out" if result.timed_out else f"exit code {result.returncode}"
            out = excerpt(result.stdout + "\n" + result.stderr, 800)
            raise DrError(f"{label} failed ({why}): {out}")

    async def _pg_tool(self, argv: list[str], url: DbUrl, step: StepHandle) -> None:
        result = await self.ctx.run(argv, env=url.pg_env())
        step.detail = redact(result.command_line)
        if result.timed_out or result.returncode != 0:
            why = "timed out" if result.timed_out else f"exit code {result.returncode}"
            raise DrError(f"{argv[0]} failed ({why}): {excerpt(result.stderr, 800)}")

    def _open_source_snapshot(self) -> Snapshot:
        if self.cfg.source.kind is DbKind.POSTGRESQL:
            snap: Snapshot = pg.PgSnapshot(self.cfg.source, workers=self.cfg.jobs)
        else:
            snap = lite.SqliteSnapshot(self.cfg.source.sqlite_path)
        self.snapshots.append(snap)
        return snap

    def _read_snapshot(self, snap: Snapshot) -> SourceState:
        sums = snap.checksums(self.cfg.exclude_tables)
        queries = {q.name: snap.query(q.name, q.sql) for q in self.cfg.queries if q.expect is None}
        return SourceState(sums=sums, queries=queries, revision=snap.revision())

    @staticmethod
    def _sqlite_tables(path: Path, readonly: bool) -> list[str]:
        snap = lite.SqliteSnapshot(path, readonly=readonly)
        try:
            return snap.tables()
        finally:
            snap.close()

    async def _close(self, snap: Snapshot) -> None:
        if snap in self.snapshots:
            self.snapshots.remove(snap)
            await asyncio.to_thread(snap.close)

    # -- steps -----------------------------------------------------------------------------------
    async def _prepare(self) -> None:
        src = self.cfg.source
        async with self.tl.step("start marker writer") as s:
            writer: MarkerWriter
            if src.kind is DbKind.POSTGRESQL:
                self.created_marker_table = await asyncio.to_thread(
                    pg.ensure_marker_table, src, self.cfg.marker_table
                )
                writer = await asyncio.to_thread(pg.MarkerWriter, src, self.cfg.marker_table, self.drill_id)
            else:
                self.created_marker_table = await asyncio.to_thread(
                    lite.ensure_marker_table, src.sqlite_path, self.cfg.marker_table
                )
                writer = await asyncio.to_thread(
                    lite.MarkerWriter, src.sqlite_path, self.cfg.marker_table, self.drill_id
                )
            self.writer = MarkerLoop(writer, self.cfg.marker_interval)
            self.writer.start()
            await self.writer.wait_for(3, 10.0 + 10 * self.cfg.marker_interval)
            s.detail = (
                f"{self.cfg.marker_table} on {src.display}, one marker every {self.cfg.marker_interval:g}s"
            )

    async def _backup(self) -> None:
        assert self.writer is not None
        src = self.cfg.source
        async with self.tl.step("backup") as s:
            if src.kind is DbKind.POSTGRESQL:
                snap = await asyncio.to_thread(self._open_source_snapshot)
                assert isinstance(snap, pg.PgSnapshot)
                self.vars["PG_SNAPSHOT"] = snap.snapshot_id
                if self.cfg.backup_command is not None:
                    dump = self._command("backup command", self.cfg.backup_command, s)
                else:
                    argv = [
                        "pg_dump",
                        "--format=custom",
                        f"--snapshot={snap.snapshot_id}",
                        f"--file={self.backup_path}",
                        f"--dbname={src.libpq()}",
                    ]
                    dump = self._pg_tool(argv, src, s)
                # Checksums read the same exported snapshot pg_dump copies, while it copies.
                read = asyncio.to_thread(self._read_snapshot, snap)
                _, self.source = await asyncio.gather(dump, read)
                await self._close(snap)
            elif self.cfg.backup_command is not None:
                # SQLite has no snapshot to share with another process: the backup file itself
                # is the snapshot (the service keeps writing, so the live file has moved on). Its
                # tables must be the source's; its content is what the restore must reproduce.
                source_tables = await asyncio.to_thread(self._sqlite_tables, src.sqlite_path, False)
                await self._command("backup command", self.cfg.backup_command, s)
                if not self.backup_path.exists():
                    raise DrError(f"the backup command did not write {self.backup_path}")
                backup_tables = await asyncio.to_thread(self._sqlite_tables, self.backup_path, True)
                missing = sorted(set(source_tables) - set(backup_tables))
                if missing:
                    raise DrError(f"the backup lacks tables of the source: {', '.join(missing)}")
                snap = lite.SqliteSnapshot(self.backup_path, readonly=True)
                self.snapshots.append(snap)
                self.source = await asyncio.to_thread(self._read_snapshot, snap)
                await self._close(snap)
            else:
                snap = await asyncio.to_thread(self._open_source_snapshot)
                assert isinstance(snap, lite.SqliteSnapshot)
                await asyncio.to_thread(snap.backup_to, self.backup_path)
                s.detail = f"online backup API: {src.sqlite_path} -> {self.backup_path.name}"
                self.source = await asyncio.to_thread(self._read_snapshot, snap)
                await self._close(snap)
            if not self.backup_path.exists():
                raise DrError(f"the backup procedure did not write {self.backup_path}")
            self.backup_bytes = _size(self.backup_path)
            s.detail += f" ({self.backup_bytes} bytes)"
        async with self.tl.step("writes after backup") as s:
            count = len(self.writer.committed)
            await asyncio.sleep(self.cfg.writes_after_backup)
            s.detail = f"{len(self.writer.committed) - count} markers written after the backup"

    async def _lose(self) -> None:
        assert self.writer is not None
        async with self.tl.step("loss: stop the service") as s:
            await self.writer.stop()
            self.last_before_loss = self.writer.last
            self.loss_at = time.monotonic()
            if self.cfg.stop is not None:
                await self._command("stop command", self.cfg.stop, s)
            else:
                s.detail = "no stop command: the source instance keeps running"

    async def _restore(self) -> None:
        cfg = self.cfg
        async with self.tl.step("create scratch database") as s:
            if cfg.source.kind is DbKind.POSTGRESQL:
                server = cfg.scratch_server or cfg.source
                self.scratch = await asyncio.to_thread(pg.create_scratch, server)
                s.detail = f"{self.scratch.name} on {server.display}"
            else:
                path = self.scratch_dir / f"{pg.SCRATCH_PREFIX}{self.drill_id}.db"
                self.scratch = ScratchDatabase(url=f"sqlite:///{path}", name=str(path), path=path)
                s.detail = str(path)
            self.vars["RESTORED_DATABASE_URL"] = self.scratch.url
        async with self.tl.step("restore") as s:
            if cfg.restore_command is not None:
                await self._command("restore command", cfg.restore_command, s)
            elif cfg.source.kind is DbKind.POSTGRESQL:
                target = (cfg.scratch_server or cfg.source).with_database(self.scratch.name)
                argv = [
                    "pg_restore",
                    f"--jobs={cfg.jobs}",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    f"--dbname={target.libpq()}",
                    str(self.backup_path),
                ]
                await self._pg_tool(argv, target, s)
            else:
                assert self.scratch.path is not None
                await asyncio.to_thread(lite.restore, self.backup_path, self.scratch.path)
                s.detail = f"online backup API: {self.backup_path.name} -> {self.scratch.path.name}"

    def _open_restored_snapshot(self) -> Snapshot:
        assert self.scratch is not None
        if self.cfg.source.kind is DbKind.POSTGRESQL:
            server = self.cfg.scratch_server or self.cfg.source
            snap: Snapshot = pg.PgSnapshot(server.with_database(self.scratch.name), workers=self.cfg.jobs)
        else:
            assert self.scratch.path is not None
            conn = lite.open_db(self.scratch.path)
            # The restored service may write while golive verifies; WAL lets the read snapshot
            # and its writes coexist.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.close()
            snap = lite.SqliteSnapshot(self.scratch.path)
        self.snapshots.append(snap)
        return snap

    async def _start(self) -> Snapshot:
        async with self.tl.step("pin the restored state") as s:
            # Verification reads the database as restored, before the new instance touches it.
            restored = await asyncio.to_thread(self._open_restored_snapshot)
            s.detail = "read-only snapshot of the restored copy for verification"
        async with self.tl.step("start restored instance") as s:
            argv = self._argv(self.cfg.start)
            s.detail = redact(" ".join(argv[2:]) if argv[:2] == ("/bin/sh", "-c") else " ".join(argv))
            service = start_instance(
                self.ctx, argv, env=self._env(), log=self.ctx.artifacts_dir / "restored-service.log"
            )
            self.service = service
        async with self.tl.step("wait until ready") as s:
            url = self._resolve(self.cfg.ready_url)
            s.detail = url
            status = await wait_ready(self.ctx, service, url, timeout=self.cfg.ready_timeout)
            self.ready_at = time.monotonic()
            s.detail = f"{url} answered {status}"
        return restored

    async def _verify(self, restored: Snapshot) -> None:
        cfg = self.cfg
        self.verified = await verify_restored(
            self.tl,
            restored,
            self.source,
            queries=cfg.queries,
            exclude_tables=cfg.exclude_tables,
            marker_table=cfg.marker_table,
            drill_id=self.drill_id,
            alembic_head=cfg.alembic_head,
        )
        self.problems.extend(self.verified.problems)
        self.notes.extend(self.verified.notes)
        await self._close(restored)

    # -- cleanup ---------------------------------------------------------------------------------
    async def _cleanup(self) -> None:
        cfg = self.cfg
        async with self._cleanup_step("stop restored instance", self.service is not None):
            if self.service is not None:
                await self.service.stop()
        async with self._cleanup_step("stop marker writer", self.writer is not None and self.loss_at is None):
            if self.writer is not None:
                await self.writer.stop()
        if self.scratch is not None and cfg.source.kind is DbKind.POSTGRESQL:
            async with self._cleanup_step(f"drop scratch database {self.scratch.name}", True):
                # Dropping first terminates sessions of snapshots whose queries are still running.
                server = cfg.scratch_server or cfg.source
                await asyncio.to_thread(pg.drop_database, server, self.scratch.name)
        for snap in list(self.snapshots):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._close(snap), 10.0)
        async with self._cleanup_step("remove drill markers from the source", True):
            if cfg.source.kind is DbKind.POSTGRESQL:
                await asyncio.to_thread(
                    pg.remove_markers,
                    cfg.source,
                    cfg.marker_table,
                    self.drill_id,
                    drop_table=self.created_marker_table,
                )
            else:
                await asyncio.to_thread(
                    lite.remove_markers,
                    cfg.source.sqlite_path,
                    cfg.marker_table,
                    self.drill_id,
                    drop_table=self.created_marker_table,
                )
        async with self._cleanup_step("remove scratch files", True):
            if cfg.keep_backup and self.backup_path.exists():
                self.ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
                kept = self.ctx.artifacts_dir / self.backup_path.name
                await asyncio.to_thread(shutil.move, str(self.backup_path), str(kept))
            await asyncio.to_thread(shutil.rmtree, self.scratch_dir, True)
        if cfg.restart is not None and self.loss_at is not None:
            async with self._cleanup_step("restart the source instance", True) as s:
                await self._command("restart command", cfg.restart, s)

    @contextlib.asynccontextmanager
    async def _cleanup_step(self, name: str, needed: bool) -> AsyncIterator[StepHandle]:
        if not needed:
            yield StepHandle()
            return
        try:
            async with self.tl.step("cleanup: " + name) as s:
                yield s
        except Exception as exc:
            self.problems.append(f"cleanup: {name} failed: {exc}")

    # -- the drill -------------------------------------------------------------------------------
    async def run(self) -> DrillReport:
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            try:
                await self._prepare()
                await self._backup()
                await self._lose()
                await self._restore()
                restored = await self._start()
                await self._verify(restored)
            except DrError as exc:
                self.problems.append(str(exc))
        except BaseException:
            # Interrupted (timeout, Ctrl-C) or crashed: clean up, and leave the record of what
            # ran and what was cleaned up next to the criterion's other artifacts.
            try:
                await asyncio.shield(self._cleanup())
            finally:
                self.problems.append("the drill was interrupted")
                with contextlib.suppress(OSError, FileWriteError):
                    write_artifacts(self._report(started_at, interrupted=True), self.ctx.artifacts_dir)
            raise
        await self._cleanup()
        return self._report(started_at)

    def _report(self, started_at: str, *, interrupted: bool = False) -> DrillReport:
        cfg, w, found = self.cfg, self.writer, self.verified
        rto = (self.ready_at - self.loss_at) if self.ready_at and self.loss_at else None
        rpo: float | None = None
        if w is not None and self.last_before_loss is not None and self.ready_at is not None:
            last_t = w.committed[self.last_before_loss]
            if found.newest_marker is None:
                self.problems.append("no RPO marker in the restored copy: the backup lost all of them")
                rpo = last_t - min(w.committed.values())
            else:
                rpo = last_t - w.committed.get(found.newest_marker, last_t)
        if rto is not None and cfg.rto is not None and rto > cfg.rto:
            self.problems.append(f"RTO {rto:.1f}s exceeds the objective {cfg.rto:g}s")
        if rpo is not None and cfg.rpo is not None and rpo > cfg.rpo:
            self.problems.append(f"RPO {rpo:.1f}s exceeds the objective {cfg.rpo:g}s")
        if w is not None and w.errors:
            self.notes.append(f"{len(w.errors)} marker write(s) failed, e.g. {w.errors[0]}")
        return DrillReport(
            drill_id=self.drill_id,
            kind=cfg.source.kind.value,
            started_at=started_at,
            steps=tuple(self.tl.steps),
            problems=tuple(self.problems),
            notes=tuple(self.notes),
            rto_s=rto,
            rpo_s=rpo,
            rto_target_s=cfg.rto,
            rpo_target_s=cfg.rpo,
            backup_bytes=self.backup_bytes,
            database_bytes=found.database_bytes,
            restore_s=self.tl.duration("restore"),
            verify_s=self.tl.duration("verify checksums")
            + self.tl.duration("verify queries, markers, migrations"),
            tables=found.tables,
            rows=found.rows,
            markers_written=len(w.committed) if w else 0,
            newest_marker_before_loss=self.last_before_loss,
            newest_marker_restored=found.newest_marker,
            revision=found.revision,
            scratch_database=self.scratch.name if self.scratch else "",
            interrupted=interrupted,
        )


async def run_drill(cfg: DrillConfig, ctx: CheckContext) -> DrillReport:
    """Run one drill; scratch databases, files, processes and markers are always cleaned up."""
    return await _Drill(cfg, ctx).run()
