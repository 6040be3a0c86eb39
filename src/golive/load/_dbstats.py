"""``db.queries``: what PostgreSQL did during a load test, from ``pg_stat_statements``.

Statistics are snapshotted before and after the load and diffed (no reset, which would need
extra privileges and would disturb other users of the statistics). Tables with many rows that
were read by sequential scans during the load are flagged as likely missing an index.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from golive.kit.check import CheckContext, CheckError
from golive.kit.files import atomic_write
from golive.kit.text import redact
from golive.load._params import DbQueriesParams
from golive.results import Evidence, Measurement, Outcome, Status

ENABLE_HINT = (
    "enable it: add `shared_preload_libraries = 'pg_stat_statements'` to postgresql.conf (or start "
    "postgres with `-c shared_preload_libraries=pg_stat_statements`), restart PostgreSQL, then run "
    "`CREATE EXTENSION pg_stat_statements;` in the database"
)


@dataclass(frozen=True, kw_only=True)
class QueryStat:
    """One statement's share of the load."""

    query: str
    calls: int
    total_ms: float
    mean_ms: float
    rows: int


@dataclass(frozen=True, kw_only=True)
class SeqScan:
    """Sequential scans on a table during the load."""

    table: str
    rows: int
    seq_scans: int
    rows_read: int
    index_scans: int


_STATEMENTS = """
select s.queryid, s.query, s.calls, s.total_exec_time, s.rows
from pg_stat_statements s
where s.dbid = (select oid from pg_database where datname = current_database())
"""
_TABLES = """
select schemaname || '.' || relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_live_tup
from pg_stat_user_tables
"""


def _sqlalchemy_to_libpq(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


Snapshot = tuple[dict[int, tuple[Any, ...]], dict[str, tuple[Any, ...]]]
"""Statements by query id and tables by name, as read from the statistics views."""


class _Pg:
    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:  # an optional extra
            raise CheckError("db.queries needs psycopg: pip install 'golive[postgres]'") from None
        self.conn = psycopg.connect(_sqlalchemy_to_libpq(url), autocommit=True, connect_timeout=10)

    def close(self) -> None:
        self.conn.close()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def execute(self, sql: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql)

    def available(self, create: bool) -> str | None:
        """``None`` when usable, else the reason it is not."""
        import psycopg

        installed = self.rows("select 1 from pg_extension where extname = 'pg_stat_statements'")
        if not installed:
            if not create:
                return "the pg_stat_statements extension is not installed in this database"
            try:
                self.execute("create extension if not exists pg_stat_statements")
            except psycopg.Error as exc:
                return f"CREATE EXTENSION pg_stat_statements failed: {str(exc).strip()}"
        try:
            self.rows("select 1 from pg_stat_statements limit 1")
        except psycopg.Error as exc:
            return f"pg_stat_statements is not loaded: {str(exc).strip().splitlines()[0]}"
        return None

    def snapshot(self) -> Snapshot:
        stmts = {int(r[0]): r for r in self.rows(_STATEMENTS) if r[0] is not None}
        tables = {str(r[0]): r for r in self.rows(_TABLES)}
        return stmts, tables


def diff_statements(before: dict[int, tuple[Any, ...]], after: dict[int, tuple[Any, ...]]) -> list[QueryStat]:
    """Statements executed between two snapshots."""
    out = []
    for qid, row in after.items():
        prev = before.get(qid)
        calls = int(row[2]) - (int(prev[2]) if prev else 0)
        if calls <= 0:
            continue
        total = float(row[3]) - (float(prev[3]) if prev else 0.0)
        rows = int(row[4]) - (int(prev[4]) if prev else 0)
        out.append(
            QueryStat(
                query=" ".join(str(row[1]).split()),
                calls=calls,
                total_ms=total,
                mean_ms=total / calls,
                rows=rows,
            )
        )
    return out


def diff_tables(
    before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]], large: int
) -> list[SeqScan]:
    """Large tables read by sequential scans between two snapshots."""
    out = []
    for name, row in after.items():
        prev = before.get(name)
        scans = int(row[1] or 0) - (int(prev[1] or 0) if prev else 0)
        read = int(row[2] or 0) - (int(prev[2] or 0) if prev else 0)
        idx = int(row[3] or 0) - (int(prev[3] or 0) if prev else 0)
        if scans > 0 and int(row[4] or 0) >= large:
            out.append(
                SeqScan(table=name, rows=int(row[4]), seq_scans=scans, rows_read=read, index_scans=idx)
            )
    return sorted(out, key=lambda s: -s.rows_read)


def _table(title: str, stats: list[QueryStat]) -> str:
    lines = [title, "   calls   total ms    mean ms  query"]
    for s in stats:
        lines.append(f"{s.calls:>8} {s.total_ms:>10.1f} {s.mean_ms:>10.3f}  {s.query[:110]}")
    return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class LoadReport:
    """What the load behind the statistics did: its table, reproducer and outcome counts."""

    table: str
    reproducer: str
    requests: int
    failures: int


@dataclass(frozen=True, kw_only=True)
class _Observed:
    """Statistics before and after the load, and what the load itself reported."""

    before: Snapshot
    after: Snapshot
    load: LoadReport

    @property
    def load_table(self) -> str:
        """The load's statistics table."""
        return self.load.table

    @property
    def reproducer(self) -> str:
        """A command that repeats the load."""
        return self.load.reproducer


async def _observe(
    url: str, params: DbQueriesParams, load: Callable[[], Awaitable[LoadReport]]
) -> _Observed | str:
    """Snapshot, run ``load``, snapshot again; or why the statistics cannot be read (skipped)."""
    try:
        pg = await asyncio.to_thread(_Pg, url)
    except CheckError:
        raise
    except Exception as exc:
        raise CheckError(f"cannot connect to {redact(url)}: {str(exc).strip()}") from None
    try:
        reason = await asyncio.to_thread(pg.available, params.create_extension)
        if reason is not None:
            return f"{reason}; {ENABLE_HINT}"
        before = await asyncio.to_thread(pg.snapshot)
        report = await load()
        after = await asyncio.to_thread(pg.snapshot)
    finally:
        await asyncio.to_thread(pg.close)
    return _Observed(before=before, after=after, load=report)


async def run_db_queries(
    params: DbQueriesParams, ctx: CheckContext, load: Callable[[], Awaitable[LoadReport]]
) -> Outcome:
    """Snapshot, run ``load``, snapshot again, and judge the difference."""
    raw = params.database_url or ctx.environment.database_url
    if not raw:
        return Outcome(status=Status.SKIPPED, summary="no database_url: db.queries needs PostgreSQL")
    url = ctx.resolve(raw)
    if not url.startswith(("postgresql", "postgres://")):
        return Outcome(
            status=Status.SKIPPED,
            summary=f"db.queries needs PostgreSQL; the database is {url.split(':', 1)[0]}",
        )
    observed = await _observe(url, params, load)
    if isinstance(observed, str):
        return Outcome(status=Status.SKIPPED, summary=observed)
    stmts = [s for s in diff_statements(observed.before[0], observed.after[0]) if "pg_stat_" not in s.query]
    scans = diff_tables(observed.before[1], observed.after[1], params.large_table_rows)
    return _judge(params, ctx, stmts, scans, observed)


def _judge(
    params: DbQueriesParams,
    ctx: CheckContext,
    stmts: list[QueryStat],
    scans: list[SeqScan],
    observed: _Observed,
) -> Outcome:
    by_total = sorted(stmts, key=lambda s: -s.total_ms)[: params.top]
    by_calls = sorted(stmts, key=lambda s: -s.calls)[: params.top]
    by_mean = sorted(stmts, key=lambda s: -s.mean_ms)[: params.top]
    scan_lines = [
        f"  {s.table}: {s.seq_scans} seq scans read {s.rows_read} rows ({s.rows} rows in table, "
        f"{s.index_scans} index scans) — likely missing index"
        for s in scans
    ]
    text = "\n\n".join(
        [
            _table("top by total time", by_total),
            _table("top by calls", by_calls),
            _table("top by mean time", by_mean),
            "sequential scans on large tables:\n" + ("\n".join(scan_lines) or "  none"),
            "load:\n" + observed.load_table,
        ]
    )
    path = ctx.artifacts_dir / "db-queries.txt"
    atomic_write(path, text + "\n")
    problems = [f"seq scans on {s.table} ({s.rows} rows)" for s in scans]
    slow = [s for s in stmts if params.max_mean_ms is not None and s.mean_ms > params.max_mean_ms]
    problems += [f"mean {s.mean_ms:.1f}ms > {params.max_mean_ms:g}ms: {s.query[:60]}" for s in slow[:3]]
    measurements = (
        Measurement(name="statements", value=float(len(stmts))),
        Measurement(name="db_time_total", value=round(sum(s.total_ms for s in stmts), 1), unit="ms"),
        Measurement(
            name="top_mean",
            value=round(by_mean[0].mean_ms, 3) if by_mean else 0.0,
            unit="ms",
            target=f"<= {params.max_mean_ms:g}ms" if params.max_mean_ms else None,
        ),
        Measurement(name="large_seq_scan_tables", value=float(len(scans)), target="0"),
    )
    evidence = Evidence(excerpt=text, artifacts=(str(path),))
    load = observed.load
    if load.requests == 0 or load.failures * 2 > load.requests:
        # The statistics then show the error path (auth, validation), not the service's queries.
        status, summary = (
            Status.NO_DATA,
            f"the load did not exercise the service: {load.failures} of {load.requests} requests "
            "failed; fix the scenario (paths, auth, target) so that it succeeds, then judge the queries",
        )
    elif not stmts:
        status, summary = Status.NO_DATA, "no statements recorded during the load"
    else:
        top = by_total[0]
        head = (
            f"{len(stmts)} statements; top by time: {top.total_ms:.0f}ms over {top.calls} calls "
            f"({top.query[:60]})"
        )
        if problems:
            status, summary = Status.FAIL, "; ".join(problems) + f" — {head}"
        else:
            status, summary = Status.PASS, f"no sequential scans on large tables; {head}"
    return Outcome(
        status=status,
        summary=summary,
        measurements=measurements,
        evidence=evidence,
        reproducer=observed.reproducer,
    )
