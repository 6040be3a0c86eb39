"""PostgreSQL side of a drill: snapshots, streamed checksums, markers and scratch databases.

Checksums are computed server-side as ``count(*)`` and the sum of a 64-bit hash per row
(``hash_record_extended``; columns whose type has no hash function are hashed as text).
A sum is order-independent, so no sort is needed, memory is constant on both ends, and a
table can be split into block ranges checksummed in parallel on several connections that
share one exported snapshot.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
from psycopg import sql

from golive.dr._urls import DbUrl
from golive.dr.base import DrError, QueryResult, ScratchDatabase, TableChecksum

__all__ = [
    "SCRATCH_PREFIX",
    "PgSnapshot",
    "connect",
    "create_scratch",
    "drop_database",
    "ensure_marker_table",
    "remove_markers",
    "scratch_databases",
]

#: Every database a drill creates starts with this prefix (easy to find if golive is killed).
SCRATCH_PREFIX = "golive_dr_"
_MASK = (1 << 64) - 1
#: Tables smaller than this many blocks are not split across connections.
_SPLIT_MIN_BLOCKS = 1024


def connect(url: DbUrl, *, autocommit: bool = True) -> psycopg.Connection[tuple[object, ...]]:
    """A connection with settings fixed so that text renderings are stable across sessions."""
    try:
        conn = psycopg.connect(
            url.libpq(with_password=True),
            autocommit=autocommit,
            application_name="golive-dr",
            connect_timeout=10,
        )
    except psycopg.Error as exc:
        raise DrError(f"cannot connect to {url.display}: {str(exc).strip()}") from None
    with conn.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3")
    if not autocommit:
        conn.commit()
    return conn


def create_scratch(server: DbUrl) -> ScratchDatabase:
    """Create an empty ``golive_dr_<random>`` database on ``server`` (from template0)."""
    name = SCRATCH_PREFIX + secrets.token_hex(6)
    with connect(server) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise DrError(f"cannot create scratch database on {server.display}: {exc}") from None
    return ScratchDatabase(url=server.with_database(name).text, name=name)


def drop_database(server: DbUrl, name: str) -> None:
    """Terminate every session on ``name`` and drop it; a database already gone is fine."""
    if not name.startswith(SCRATCH_PREFIX):
        raise DrError(f"refusing to drop {name!r}: not a golive scratch database")
    with connect(server) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def scratch_databases(server: DbUrl) -> list[str]:
    """Names of golive scratch databases on ``server`` (for tests and janitors)."""
    with connect(server) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1",
            (SCRATCH_PREFIX.replace("_", r"\_") + "%",),
        ).fetchall()
    return [str(r[0]) for r in rows]


def ensure_marker_table(url: DbUrl, table: str) -> bool:
    """Create the RPO marker table if missing; True when this call created it."""
    with connect(url) as conn:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
        if exists and exists[0]:
            return False
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (drill_id text NOT NULL, seq bigint NOT NULL, "
                "written_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (drill_id, seq))"
            ).format(sql.Identifier(table))
        )
        return True


def remove_markers(url: DbUrl, table: str, drill_id: str, *, drop_table: bool) -> None:
    """Remove this drill's markers from the source (the whole table if the drill created it)."""
    with connect(url) as conn:
        if drop_table:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
        else:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE drill_id = %s").format(sql.Identifier(table)), (drill_id,)
            )


class MarkerWriter:
    """Inserts marker rows on its own autocommit connection (used from a worker thread)."""

    def __init__(self, url: DbUrl, table: str, drill_id: str) -> None:
        self._conn = connect(url)
        self._insert = sql.SQL("INSERT INTO {} (drill_id, seq) VALUES (%s, %s)").format(sql.Identifier(table))
        self._drill_id = drill_id

    def write(self, seq: int) -> None:
        """Insert and commit marker ``seq``."""
        self._conn.execute(self._insert, (self._drill_id, seq))

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


@dataclass(frozen=True, kw_only=True)
class _Table:
    schema: str
    name: str
    blocks: int
    row_expr: sql.Composable

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"


class PgSnapshot:
    """A REPEATABLE READ, read-only transaction whose snapshot is exported for pg_dump."""

    def __init__(self, url: DbUrl, *, workers: int = 1) -> None:
        self.url = url
        self.workers = max(1, workers)
        self._conn = connect(url, autocommit=False)
        try:
            with self._conn.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cur.execute("SELECT pg_export_snapshot()")
                row = cur.fetchone()
        except psycopg.Error as exc:
            self._conn.close()
            raise DrError(f"cannot export a snapshot on {url.display}: {exc}") from None
        #: The exported snapshot id (``pg_dump --snapshot=``).
        self.snapshot_id = str(row[0]) if row else ""

    # -- helpers ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[psycopg.Cursor[tuple[object, ...]]]:
        with self._conn.cursor() as cur:
            cur.execute("SAVEPOINT golive_dr")
            try:
                yield cur
            except psycopg.Error:
                cur.execute("ROLLBACK TO SAVEPOINT golive_dr")
                raise
            cur.execute("RELEASE SAVEPOINT golive_dr")

    def _hashable(self, types: Sequence[str], use_record_hash: bool) -> set[str]:
        ok: set[str] = set()
        if not use_record_hash:
            return ok
        for t in types:
            try:
                with self._savepoint() as cur:
                    cur.execute(sql.SQL("SELECT hash_record_extended(ROW(NULL::{}), 0)").format(sql.SQL(t)))
                ok.add(t)
            except psycopg.Error:
                pass
        return ok

    def _tables(self, exclude: Sequence[str]) -> list[_Table]:
        with self._conn.cursor() as cur:
            cur.execute(
                "SELECT n.nspname, c.relname, a.attname, a.atttypid::regtype::text, "
                "  pg_relation_size(c.oid) / current_setting('block_size')::int "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "  AND n.nspname NOT LIKE 'pg\\_%%' "
                "ORDER BY n.nspname, c.relname, a.attnum"
            )
            rows = cur.fetchall()
            cur.execute("SELECT to_regproc('hash_record_extended') IS NOT NULL")
            have = cur.fetchone()
        skip = set(exclude)
        columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
        blocks: dict[tuple[str, str], int] = {}
        for schema, name, column, typ, nblocks in rows:
            key = (str(schema), str(name))
            if key[1] in skip or f"{key[0]}.{key[1]}" in skip:
                continue
            columns.setdefault(key, []).append((str(column), str(typ)))
            blocks[key] = int(str(nblocks))
        use_record_hash = bool(have and have[0])
        hashable = self._hashable(sorted({t for cols in columns.values() for _, t in cols}), use_record_hash)
        tables = []
        for (schema, name), cols in columns.items():
            parts = [
                sql.Identifier(c) if t in hashable else sql.SQL("{}::text").format(sql.Identifier(c))
                for c, t in cols
            ]
            row = sql.SQL("ROW({})").format(sql.SQL(", ").join(parts))
            if use_record_hash:
                expr = sql.SQL("hash_record_extended({}, 0)").format(row)
            else:
                expr = sql.SQL("hashtextextended({}::text, 0)").format(row)
            tables.append(_Table(schema=schema, name=name, blocks=blocks[(schema, name)], row_expr=expr))
        return tables

    # -- Snapshot protocol -----------------------------------------------------------------
    def checksums(self, exclude: Sequence[str]) -> Mapping[str, TableChecksum]:
        """Per-table row counts and checksums at this snapshot, on ``workers`` connections."""
        try:
            tables = self._tables(exclude)
        except psycopg.Error as exc:
            raise DrError(f"cannot list tables of {self.url.display}: {exc}") from None
        jobs: list[tuple[_Table, sql.Composed]] = []
        for t in sorted(tables, key=lambda t: -t.blocks):
            ident = sql.Identifier(t.schema, t.name)
            base = sql.SQL("SELECT count(*), coalesce(sum({}), 0) FROM {} AS t").format(t.row_expr, ident)
            if self.workers > 1 and t.blocks >= _SPLIT_MIN_BLOCKS:
                # TID range scans (PostgreSQL 14+) read each block once; the last range is open
                # so that rows in blocks added after the size was read are not missed.
                step = -(-t.blocks // self.workers)
                for start in range(0, t.blocks, step):
                    cond = sql.SQL(" WHERE ctid >= {}::tid").format(sql.Literal(f"({start},0)"))
                    if start + step < t.blocks:
                        cond += sql.SQL(" AND ctid < {}::tid").format(sql.Literal(f"({start + step},0)"))
                    jobs.append((t, base + cond))
            else:
                jobs.append((t, base))
        totals: dict[str, list[int]] = {t.key: [0, 0] for t in tables}
        extra = [self._import_snapshot() for _ in range(min(self.workers, len(jobs)) - 1)]
        try:
            conns = [self._conn, *extra]
            queues: list[list[tuple[_Table, sql.Composed]]] = [[] for _ in conns]
            for i, job in enumerate(jobs):
                queues[i % len(conns)].append(job)

            def work(
                conn: psycopg.Connection[tuple[object, ...]], queue: list[tuple[_Table, sql.Composed]]
            ) -> list[tuple[str, int, int]]:
                out = []
                with conn.cursor() as cur:
                    for table, query in queue:
                        cur.execute(query)
                        row = cur.fetchone()
                        assert row is not None
                        out.append((table.key, int(str(row[0])), int(str(row[1]))))
                return out

            with ThreadPoolExecutor(max_workers=len(conns)) as pool:
                futures = [pool.submit(work, c, q) for c, q in zip(conns, queues, strict=True)]
                for fut in futures:
                    for key, count, total in fut.result():
                        totals[key][0] += count
                        totals[key][1] += total
        except psycopg.Error as exc:
            raise DrError(f"checksum query failed on {self.url.display}: {str(exc).strip()}") from None
        finally:
            for c in extra:
                c.close()
        return {
            key: TableChecksum(table=key, rows=count, checksum=f"{total & _MASK:016x}")
            for key, (count, total) in sorted(totals.items())
        }

    def _import_snapshot(self) -> psycopg.Connection[tuple[object, ...]]:
        conn = connect(self.url, autocommit=False)
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(self.snapshot_id)))
        return conn

    def query(self, name: str, query: str) -> QueryResult:
        """First column of the first row, as text."""
        try:
            with self._savepoint() as cur:
                cur.execute(query.encode())
                row = cur.fetchone() if cur.description else None
        except psycopg.Error as exc:
            return QueryResult(name=name, value=None, error=str(exc).strip().splitlines()[0])
        return QueryResult(name=name, value=None if row is None or row[0] is None else str(row[0]))

    def newest_marker(self, table: str, drill_id: str) -> int | None:
        """Highest marker sequence of ``drill_id`` (``None`` if none or no table)."""
        try:
            with self._savepoint() as cur:
                cur.execute(
                    sql.SQL("SELECT max(seq) FROM {} WHERE drill_id = %s").format(sql.Identifier(table)),
                    (drill_id,),
                )
                row = cur.fetchone()
        except psycopg.Error:
            return None
        return None if row is None or row[0] is None else int(str(row[0]))

    def revision(self) -> str | None:
        """The ``alembic_version`` revision(s), comma separated."""
        try:
            with self._savepoint() as cur:
                cur.execute("SELECT version_num FROM alembic_version ORDER BY 1")
                rows = cur.fetchall()
        except psycopg.Error:
            return None
        return ",".join(str(r[0]) for r in rows) or None

    def size_bytes(self) -> int:
        """``pg_database_size`` of the snapshot's database."""
        with self._conn.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            row = cur.fetchone()
        return int(str(row[0])) if row else 0

    def close(self) -> None:
        """Roll back the read-only transaction and close."""
        with contextlib.suppress(psycopg.Error):
            self._conn.rollback()
        self._conn.close()
