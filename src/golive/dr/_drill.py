"""The recovery drill: back up under writes, lose the service, restore, start, verify, measure.

The restore goes into a scratch database a fresh instance starts on, or (``in_place``, see
:mod:`golive.dr._in_place`) into the service's own database, which the loss really took away.
Either way it is verified against the source at backup time. Every step is timed on one
monotonic clock (:class:`~golive.dr._timeline.Timeline`) so that the drill's evidence is a
document on its own. Everything the drill creates (scratch database or file, backup, the
restored service's process group, marker rows) is removed by :mod:`golive.dr._finish`, also
when the drill fails, times out or is cancelled; a service it took down comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from golive.dr import _postgres as pg
from golive.dr import _sqlite as lite
from golive.dr._finish import build_report, cleanup
from golive.dr._in_place import InPlace
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
    #: ``scratch`` (a fresh instance on a scratch copy) or ``in_place`` (see :mod:`golive.dr._in_place`).
    recovery: str = "scratch"
    start: CommandLine | None = None
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
    #: In place: how long the recovered service must keep answering (a crash loop is no recovery).
    stable_for: float = 2.0
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
        #: What the source held at backup time (read in the backup's snapshot when shared).
        self.source = SourceState()
        #: What the verification of the restored copy found.
        self.verified = Verification()
        self.backup_bytes = 0
        self.loss_at: float | None = None
        self.ready_at: float | None = None
        self.last_before_loss: int | None = None
        self.place: InPlace | None = None
        #: Every step up to the verification ran (the drill was not cut short).
        self.completed = False
        if cfg.recovery == "in_place":
            self.place = InPlace(
                ctx=ctx, path=cfg.source.sqlite_path, url=self._resolve(cfg.ready_url), drill_id=self.drill_id
            )

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

    async def command(self, label: str, command: CommandLine, step: StepHandle) -> None:
        """Run one of the spec's commands with the drill's variables; DrError when it fails."""
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

    async def close_snapshot(self, snap: Snapshot) -> None:
        """Close a snapshot this drill opened (once)."""
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
                    dump = self.command("backup command", self.cfg.backup_command, s)
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
                await self.close_snapshot(snap)
            elif self.cfg.backup_command is not None:
                await self._sqlite_backup_command(s)
            else:
                snap = await asyncio.to_thread(self._open_source_snapshot)
                assert isinstance(snap, lite.SqliteSnapshot)
                await asyncio.to_thread(snap.backup_to, self.backup_path)
                s.detail = f"online backup API: {src.sqlite_path} -> {self.backup_path.name}"
                self.source = await asyncio.to_thread(self._read_snapshot, snap)
                await self.close_snapshot(snap)
            if not self.backup_path.exists():
                raise DrError(f"the backup procedure did not write {self.backup_path}")
            self.backup_bytes = _size(self.backup_path)
            s.detail += f" ({self.backup_bytes} bytes)"
        async with self.tl.step("writes after backup") as s:
            count = len(self.writer.committed)
            await asyncio.sleep(self.cfg.writes_after_backup)
            s.detail = f"{len(self.writer.committed) - count} markers written after the backup"

    async def _sqlite_backup_command(self, step: StepHandle) -> None:
        """The service's own SQLite backup, judged against the source as it started and ended.

        SQLite has no snapshot to share with another process, so the source is read twice: in a
        read transaction opened as the backup starts (read while it runs) and once it is done.
        What the restore must reproduce is the source, never the backup file itself.
        """
        assert self.cfg.backup_command is not None
        path = self.cfg.source.sqlite_path
        source_tables = await asyncio.to_thread(self._sqlite_tables, path, False)
        before = await asyncio.to_thread(self._open_source_snapshot)
        if lite.is_wal(path):
            command = self.command("backup command", self.cfg.backup_command, step)
            _, first = await asyncio.gather(command, asyncio.to_thread(self._read_snapshot, before))
            await self.close_snapshot(before)
        else:
            # Without WAL a reader held open would stall the service's writers, and them the backup.
            first = await asyncio.to_thread(self._read_snapshot, before)
            await self.close_snapshot(before)
            await self.command("backup command", self.cfg.backup_command, step)
        after = await asyncio.to_thread(self._open_source_snapshot)
        last = await asyncio.to_thread(self._read_snapshot, after)
        await self.close_snapshot(after)
        self.source = SourceState(
            sums=first.sums,
            sums_after=last.sums,
            queries=first.queries,
            queries_after=last.queries,
            revision=first.revision,
        )
        if not self.backup_path.exists():
            raise DrError(f"the backup command did not write {self.backup_path}")
        backup_tables = await asyncio.to_thread(self._sqlite_tables, self.backup_path, True)
        missing = sorted(set(source_tables) - set(backup_tables))
        if missing:
            raise DrError(f"the backup lacks tables of the source: {', '.join(missing)}")

    async def _lose(self) -> None:
        assert self.writer is not None
        async with self.tl.step("loss: stop the service") as s:
            await self.writer.stop()
            self.last_before_loss = self.writer.last
            self.loss_at = time.monotonic()
            if self.cfg.stop is not None:
                await self.command("stop command", self.cfg.stop, s)
            else:
                s.detail = "no stop command: the source instance keeps running"
        if self.place is not None:
            async with self.tl.step("loss: take the database away") as s:
                s.detail = await self.place.lose()

    async def _restore_in_place(self, place: InPlace) -> None:
        self.vars["RESTORED_DATABASE_URL"] = self.cfg.source.text
        async with self.tl.step("restore") as s:
            if self.cfg.restore_command is not None:
                await self.command("restore command", self.cfg.restore_command, s)
            else:
                await asyncio.to_thread(lite.restore, self.backup_path, place.path)
                s.detail = f"online backup API: {self.backup_path.name}"
            s.detail += "; into the service's own database " + place.restored()

    async def _restore(self) -> None:
        cfg = self.cfg
        if self.place is not None:
            await self._restore_in_place(self.place)
            return
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
                await self.command("restore command", cfg.restore_command, s)
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
        if self.place is not None:
            # The service's own database, its journal mode left alone. Without WAL a read
            # transaction would block the restarted service's writes: a copy is pinned instead.
            path = self.place.path
            if not lite.is_wal(path):
                path = self.scratch_dir / "restored-copy.db"
                lite.restore(self.place.path, path)
            snap: Snapshot = lite.SqliteSnapshot(path)
            self.snapshots.append(snap)
            return snap
        assert self.scratch is not None
        if self.cfg.source.kind is DbKind.POSTGRESQL:
            server = self.cfg.scratch_server or self.cfg.source
            snap = pg.PgSnapshot(server.with_database(self.scratch.name), workers=self.cfg.jobs)
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
        if self.place is not None:
            await self._restart_in_place(self.place)
            return restored
        async with self.tl.step("start restored instance") as s:
            assert self.cfg.start is not None
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

    async def _restart_in_place(self, place: InPlace) -> None:
        assert self.cfg.restart is not None
        async with self.tl.step("restart the service") as s:
            place.restarted = True
            await self.command("restart command", self.cfg.restart, s)
        async with self.tl.step("wait until the service answers") as s:
            s.detail = place.url
            status = await place.wait(self.cfg.ready_timeout)
            self.ready_at = time.monotonic()
            s.detail = f"{place.url} answered {status}"

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
        await self.close_snapshot(restored)
        if self.place is not None:
            async with self.tl.step("verify the service runs on the restored database") as s:
                assert self.ready_at is not None
                problem, s.detail = await self.place.stays_up(self.ready_at + self.cfg.stable_for)
                if problem:
                    self.problems.append(problem)

    # -- cleanup ---------------------------------------------------------------------------------
    async def _cleanup(self) -> None:
        await cleanup(self)

    @contextlib.asynccontextmanager
    async def cleanup_step(self, name: str, needed: bool) -> AsyncIterator[StepHandle]:
        """A cleanup step: timed, and a failure is recorded as a problem instead of raised."""
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
                self.completed = True
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
        return build_report(self, started_at, interrupted=interrupted)


async def run_drill(cfg: DrillConfig, ctx: CheckContext) -> DrillReport:
    """Run one drill; scratch databases, files, processes and markers are always cleaned up."""
    return await _Drill(cfg, ctx).run()
