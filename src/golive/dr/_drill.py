"""The recovery drill: back up under writes, lose the service, restore, start, verify, measure.

Every step is timed on one monotonic clock (:class:`Timeline`) so that the drill's evidence is
a document on its own. Everything the drill creates (scratch database or file, backup, the
restored service's process group, marker rows) is removed in ``finally`` blocks that also run
when the drill fails, times out or is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from golive._interpolate import MissingVariableError
from golive._process import build_argv, terminate_group
from golive.checks._common import excerpt, redact
from golive.checks.base import CheckContext
from golive.dr import _postgres as pg
from golive.dr import _sqlite as lite
from golive.dr._urls import DbKind, DbUrl
from golive.dr.base import DrError, QueryResult, ScratchDatabase, Snapshot, TableChecksum

__all__ = [
    "DrillConfig",
    "DrillReport",
    "StepRecord",
    "Timeline",
    "VerifyQuery",
    "compare_checksums",
    "free_port",
    "run_drill",
]

Command = list[str] | str
#: Variables the drill defines part-way through (see docs/dr.md).
_LATE_VARS = frozenset({"RESTORED_DATABASE_URL", "PG_SNAPSHOT"})


@dataclass(frozen=True, kw_only=True)
class StepRecord:
    """One timed step of the drill."""

    name: str
    started_s: float
    duration_s: float
    ok: bool
    detail: str = ""


@dataclass
class _StepHandle:
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
    async def step(self, name: str) -> AsyncIterator[_StepHandle]:
        """Time a step; it is recorded as failed when its body raises (or is cancelled)."""
        start = self.now()
        handle = _StepHandle()
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


@dataclass(frozen=True, kw_only=True)
class VerifyQuery:
    """A verification query run on the restored copy (and on the source snapshot to compare)."""

    name: str
    sql: str
    expect: str | None = None


@dataclass(frozen=True, kw_only=True)
class DrillConfig:
    """What one drill does; built from the check's params by :mod:`golive.dr.checks`."""

    source: DbUrl
    scratch_server: DbUrl | None
    start: Command
    stop: Command | None = None
    restart: Command | None = None
    backup_command: Command | None = None
    restore_command: Command | None = None
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


@dataclass(frozen=True, kw_only=True)
class DrillReport:
    """What a drill found; ``problems`` empty means the drill passed."""

    drill_id: str
    kind: str
    started_at: str
    steps: tuple[StepRecord, ...]
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    rto_s: float | None
    rpo_s: float | None
    rto_target_s: float | None
    rpo_target_s: float | None
    backup_bytes: int
    database_bytes: int
    restore_s: float
    verify_s: float
    tables: int
    rows: int
    markers_written: int
    newest_marker_before_loss: int | None
    newest_marker_restored: int | None
    revision: str | None
    scratch_database: str = ""
    interrupted: bool = False

    @property
    def restore_bytes_per_s(self) -> float:
        """Restored database bytes per second of restore."""
        return self.database_bytes / self.restore_s if self.restore_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (read back by ``dr.restore_time_estimate``)."""
        data = dataclasses.asdict(self)
        data["restore_bytes_per_s"] = self.restore_bytes_per_s
        data["overhead_s"] = (self.rto_s - self.restore_s) if self.rto_s is not None else None
        return data


def free_port() -> int:
    """A loopback TCP port free right now (for the restored instance)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def compare_checksums(
    source: Mapping[str, TableChecksum], restored: Mapping[str, TableChecksum]
) -> list[str]:
    """Differences between the backup snapshot and the restored copy, one line each."""
    problems = []
    for table in sorted(set(source) - set(restored)):
        problems.append(f"table {table} is missing from the restored copy")
    for table in sorted(set(restored) - set(source)):
        problems.append(f"table {table} exists in the restored copy but not in the backup snapshot")
    for table in sorted(set(source) & set(restored)):
        a, b = source[table], restored[table]
        if a.rows != b.rows:
            problems.append(f"table {table}: {a.rows} rows at the backup snapshot, {b.rows} restored")
        elif a.checksum != b.checksum:
            problems.append(f"table {table}: content checksum {b.checksum} differs from {a.checksum}")
    return problems


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


class _Writer(Protocol):
    def write(self, seq: int) -> None: ...

    def close(self) -> None: ...


class _MarkerLoop:
    """Writes marker rows at a fixed interval and remembers when each one was committed."""

    def __init__(self, writer: _Writer, interval: float) -> None:
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
        deadline = time.monotonic() + timeout
        while len(self.committed) < n and time.monotonic() < deadline:
            await asyncio.sleep(self.interval / 2)
        if len(self.committed) < n:
            raise DrError(
                f"marker writer committed {len(self.committed)} of {n} markers in {timeout:g}s"
                + (f": {self.errors[-1]}" if self.errors else "")
            )

    async def stop(self) -> None:
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
        return max(self.committed) if self.committed else None


class _Service:
    """The restored service instance: its own process group, output in a log file."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log

    @classmethod
    async def start(cls, argv: tuple[str, ...], *, cwd: Path, env: Mapping[str, str], log: Path) -> _Service:
        # ctx.run waits for its command to finish; a server is long-running, so it is started
        # here directly, in its own session so that stop() can signal every process it forks.
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=str(cwd),
                env={**os.environ, **env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(proc, log)

    async def stop(self) -> None:
        await terminate_group(self.proc, grace_s=5.0)

    def tail(self) -> str:
        return excerpt(self.log.read_text(errors="replace"), 1500) if self.log.exists() else ""


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
        self.service: _Service | None = None
        self.writer: _MarkerLoop | None = None
        self.created_marker_table = False
        self.snapshots: list[Snapshot] = []
        self.source_sums: Mapping[str, TableChecksum] = {}
        self.source_queries: dict[str, QueryResult] = {}
        self.source_revision: str | None = None
        self.backup_bytes = 0
        self.database_bytes = 0
        self.loss_at: float | None = None
        self.ready_at: float | None = None
        self.last_before_loss: int | None = None
        self.newest_restored: int | None = None
        self.restored_revision: str | None = None
        self.rows = 0
        self.tables = 0

    # -- helpers -------------------------------------------------------------------------------
    def _resolve(self, text: str) -> str:
        return dataclasses.replace(self.ctx, environ={**self.ctx.environ, **self.vars}).resolve(text)

    def _argv(self, command: Command) -> tuple[str, ...]:
        if isinstance(command, str):
            return build_argv(self._resolve(command), shell=True)
        return build_argv([self._resolve(a) for a in command], shell=False)

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

    async def _command(self, label: str, command: Command, step: _StepHandle) -> None:
        argv = self._argv(command)
        result = await self.ctx.run(list(argv), cwd=self.ctx.workdir, env=self._env())
        step.detail = redact(result.command_line)
        if result.timed_out or result.returncode != 0:
            why = "timed out" if result.timed_out else f"exit code {result.returncode}"
            out = excerpt(result.stdout + "\n" + result.stderr, 800)
            raise DrError(f"{label} failed ({why}): {out}")

    async def _pg_tool(self, argv: list[str], url: DbUrl, step: _StepHandle) -> None:
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

    def _read_snapshot(
        self, snap: Snapshot
    ) -> tuple[Mapping[str, TableChecksum], dict[str, QueryResult], str | None]:
        sums = snap.checksums(self.cfg.exclude_tables)
        queries = {q.name: snap.query(q.name, q.sql) for q in self.cfg.queries if q.expect is None}
        return sums, queries, snap.revision()

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
            writer: _Writer
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
            self.writer = _MarkerLoop(writer, self.cfg.marker_interval)
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
                _, (self.source_sums, self.source_queries, self.source_revision) = await asyncio.gather(
                    dump, read
                )
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
                self.source_sums, self.source_queries, self.source_revision = await asyncio.to_thread(
                    self._read_snapshot, snap
                )
                await self._close(snap)
            else:
                snap = await asyncio.to_thread(self._open_source_snapshot)
                assert isinstance(snap, lite.SqliteSnapshot)
                await asyncio.to_thread(snap.backup_to, self.backup_path)
                s.detail = f"online backup API: {src.sqlite_path} -> {self.backup_path.name}"
                self.source_sums, self.source_queries, self.source_revision = await asyncio.to_thread(
                    self._read_snapshot, snap
                )
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
            self.ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
            self.service = await _Service.start(
                argv,
                cwd=self.ctx.workdir,
                env=self._env(),
                log=self.ctx.artifacts_dir / "restored-service.log",
            )
        async with self.tl.step("wait until ready") as s:
            url = self._resolve(self.cfg.ready_url)
            s.detail = url
            deadline = time.monotonic() + self.cfg.ready_timeout
            last = "no answer"
            while True:
                if self.service.proc.returncode is not None:
                    raise DrError(
                        f"the restored instance exited with {self.service.proc.returncode} before {url} "
                        f"was ready: {self.service.tail()}"
                    )
                try:
                    r = await self.ctx.http.get(url, timeout=2.0)
                    if 200 <= r.status_code < 300:
                        break
                    last = f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if time.monotonic() > deadline:
                    raise DrError(f"{url} not ready within {self.cfg.ready_timeout:g}s ({last})")
                await asyncio.sleep(0.1)
            self.ready_at = time.monotonic()
            s.detail = f"{url} answered {r.status_code}"
        return restored

    async def _verify(self, restored: Snapshot) -> None:
        cfg = self.cfg
        async with self.tl.step("verify checksums") as s:
            sums = await asyncio.to_thread(restored.checksums, cfg.exclude_tables)
            diffs = compare_checksums(self.source_sums, sums)
            self.problems.extend(diffs)
            self.tables = len(sums)
            self.rows = sum(t.rows for t in sums.values())
            s.detail = f"{self.tables} tables, {self.rows} rows; " + (
                f"{len(diffs)} difference(s)" if diffs else "all equal to the backup snapshot"
            )
        async with self.tl.step("verify queries, markers, migrations") as s:
            parts = []
            for q in cfg.queries:
                got = await asyncio.to_thread(restored.query, q.name, q.sql)
                want = q.expect if q.expect is not None else self.source_queries[q.name].value
                if got.error:
                    self.problems.append(f"query {q.name} failed on the restored copy: {got.error}")
                elif got.value != want:
                    origin = "expected" if q.expect is not None else "at the backup snapshot"
                    self.problems.append(f"query {q.name}: {got.value!r} restored, {want!r} {origin}")
                else:
                    parts.append(f"{q.name}={got.value}")
            self.newest_restored = await asyncio.to_thread(
                restored.newest_marker, cfg.marker_table, self.drill_id
            )
            self.restored_revision = await asyncio.to_thread(restored.revision)
            self.database_bytes = await asyncio.to_thread(restored.size_bytes)
            if cfg.alembic_head is not None:
                if self.restored_revision != cfg.alembic_head:
                    self.problems.append(
                        f"migrations: restored copy at revision {self.restored_revision}, "
                        f"head is {cfg.alembic_head}"
                    )
                else:
                    parts.append(f"migrations at head {cfg.alembic_head}")
            elif self.source_revision is not None:
                if self.restored_revision != self.source_revision:
                    self.problems.append(
                        f"migrations: restored copy at revision {self.restored_revision}, "
                        f"source at {self.source_revision}"
                    )
                else:
                    parts.append(f"migrations at the source's revision {self.source_revision}")
                    self.notes.append(
                        "migration head not configured (alembic_script_location): compared with the source"
                    )
            s.detail = ", ".join(parts) or "no queries"
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
    async def _cleanup_step(self, name: str, needed: bool) -> AsyncIterator[_StepHandle]:
        if not needed:
            yield _StepHandle()
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
                with contextlib.suppress(OSError):
                    write_artifacts(self._report(started_at, interrupted=True), self.ctx.artifacts_dir)
            raise
        await self._cleanup()
        return self._report(started_at)

    def _report(self, started_at: str, *, interrupted: bool = False) -> DrillReport:
        cfg, w = self.cfg, self.writer
        rto = (self.ready_at - self.loss_at) if self.ready_at and self.loss_at else None
        rpo: float | None = None
        if w is not None and self.last_before_loss is not None and self.ready_at is not None:
            last_t = w.committed[self.last_before_loss]
            if self.newest_restored is None:
                self.problems.append("no RPO marker in the restored copy: the backup lost all of them")
                rpo = last_t - min(w.committed.values())
            else:
                rpo = last_t - w.committed.get(self.newest_restored, last_t)
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
            database_bytes=self.database_bytes,
            restore_s=self.tl.duration("restore"),
            verify_s=self.tl.duration("verify checksums")
            + self.tl.duration("verify queries, markers, migrations"),
            tables=self.tables,
            rows=self.rows,
            markers_written=len(w.committed) if w else 0,
            newest_marker_before_loss=self.last_before_loss,
            newest_marker_restored=self.newest_restored,
            revision=self.restored_revision,
            scratch_database=self.scratch.name if self.scratch else "",
            interrupted=interrupted,
        )


async def run_drill(cfg: DrillConfig, ctx: CheckContext) -> DrillReport:
    """Run one drill; scratch databases, files, processes and markers are always cleaned up."""
    return await _Drill(cfg, ctx).run()


def render_timeline(report: DrillReport) -> str:
    """The drill's steps as a fixed-width table (the evidence excerpt)."""
    lines = [f"{'t+s':>7}  {'took':>7}  {'':2}step"]
    for s in report.steps:
        mark = "ok" if s.ok else "!!"
        lines.append(f"{s.started_s:7.2f}  {s.duration_s:6.2f}s  {mark}  {s.name}: {s.detail}")
    return "\n".join(lines)


def write_artifacts(report: DrillReport, directory: Path) -> tuple[str, ...]:
    """Write drill.json and drill.md; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    data = json.dumps(report.to_json(), indent=2, default=str) + "\n"
    (directory / "drill.json").write_text(data)
    md = [
        f"# Recovery drill {report.drill_id} ({report.kind})",
        "",
        f"Started {report.started_at}. RTO {_fmt(report.rto_s)} (objective {_fmt(report.rto_target_s)}), "
        f"RPO {_fmt(report.rpo_s)} (objective {_fmt(report.rpo_target_s)}).",
        "",
        "| t+s | took | ok | step | detail |",
        "|---:|---:|:-:|---|---|",
    ]
    for s in report.steps:
        detail = redact(s.detail).replace("|", "\\|").replace("\n", " ")
        md.append(
            f"| {s.started_s:.2f} | {s.duration_s:.2f}s | {'✓' if s.ok else '✗'} | {s.name} | {detail} |"
        )
    md += ["", "## Findings", ""]
    md += [f"- ✗ {p}" for p in report.problems] or ["- none: the restored copy matches the backup snapshot"]
    md += [f"- note: {n}" for n in report.notes]
    (directory / "drill.md").write_text("\n".join(md) + "\n")
    paths = [directory / "drill.json", directory / "drill.md"]
    if (directory / "restored-service.log").exists():
        paths.append(directory / "restored-service.log")
    return tuple(str(p) for p in paths)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}s"


def load_report(path: Path) -> dict[str, Any]:
    """Read a drill.json written by :func:`write_artifacts`."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DrError(f"cannot read drill results {path}: {exc}") from None
    if not isinstance(data, dict):
        raise DrError(f"{path} is not a drill result")
    return data


def sequence_names(values: Sequence[str]) -> str:
    """``a, b and c``."""
    return ", ".join(values[:-1]) + (" and " if len(values) > 1 else "") + (values[-1] if values else "")
