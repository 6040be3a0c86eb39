"""SQLite side of a drill: online-backup snapshots, streamed checksums and markers.

A read transaction pins a WAL snapshot; the online backup API (``Connection.backup``) run on
that same connection copies exactly that snapshot, so the checksums taken in the transaction
describe the backup even while writers keep going.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

from golive.dr.base import DrError, QueryResult, TableChecksum

__all__ = [
    "MarkerWriter",
    "SqliteSnapshot",
    "ensure_marker_table",
    "is_wal",
    "open_db",
    "remove_markers",
    "restore",
]

_MASK = (1 << 64) - 1


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def open_db(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a database in autocommit mode with a generous busy timeout.

    ``readonly`` is for backup files nothing else writes to: opened immutable, so that a
    WAL-mode copy needs no shared-memory file next to it.
    """
    if readonly:
        if not path.exists():
            raise DrError(f"SQLite database {path} does not exist")
        uri = f"file:{path}?mode=ro&immutable=1"
    elif not path.exists():
        raise DrError(f"SQLite database {path} does not exist")
    else:
        uri = f"file:{path}?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30, check_same_thread=False)
    except sqlite3.Error as exc:
        raise DrError(f"cannot open SQLite database {path}: {exc}") from None
    return conn


def is_wal(path: Path) -> bool:
    """Whether a database is in WAL mode (readers and a writer do not block each other).

    Read from the file header (read and write version bytes 2 = WAL), without opening a
    connection that could create journal files next to it.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(20)
    except OSError:
        return False
    return len(head) == 20 and head[18] == 2 and head[19] == 2


def ensure_marker_table(path: Path, table: str) -> bool:
    """Create the RPO marker table if missing; True when this call created it."""
    conn = open_db(path)
    try:
        row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
        if row:
            return False
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_quote(table)} (drill_id TEXT NOT NULL, seq INTEGER NOT NULL, "
            "written_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (drill_id, seq))"
        )
        return True
    finally:
        conn.close()


def remove_markers(path: Path, table: str, drill_id: str, *, drop_table: bool) -> None:
    """Remove this drill's markers (the whole table if the drill created it)."""
    conn = open_db(path)
    try:
        if drop_table:
            conn.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
        else:
            conn.execute(f"DELETE FROM {_quote(table)} WHERE drill_id = ?", (drill_id,))
    finally:
        conn.close()


class MarkerWriter:
    """Inserts marker rows on its own connection."""

    def __init__(self, path: Path, table: str, drill_id: str) -> None:
        self._conn = open_db(path)
        self._insert = f"INSERT INTO {_quote(table)} (drill_id, seq) VALUES (?, ?)"
        self._drill_id = drill_id

    def write(self, seq: int) -> None:
        """Insert and commit marker ``seq``."""
        self._conn.execute(self._insert, (self._drill_id, seq))

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def restore(backup: Path, target: Path) -> None:
    """Restore a backup file into a new database file with the online backup API."""
    if target.exists():
        raise DrError(f"restore target {target} already exists")
    src = open_db(backup, readonly=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # A copy whose pages are garbage opens fine; asking for the schema makes it fail here.
        dst.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise DrError(f"cannot restore {backup}: {exc}") from None
    finally:
        dst.close()
        src.close()


class SqliteSnapshot:
    """A read transaction on one database file; its view is fixed until :meth:`close`."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self._conn = open_db(path, readonly=readonly)
        try:
            self._conn.execute("BEGIN")
            # The snapshot is taken at the first read, not at BEGIN.
            self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            self._conn.close()
            raise DrError(f"cannot read {path}: {exc}") from None

    def backup_to(self, target: Path) -> None:
        """Copy this snapshot into a new file with the online backup API."""
        dst = sqlite3.connect(target)
        try:
            self._conn.backup(dst)
        except sqlite3.Error as exc:
            raise DrError(f"online backup of {self.path} failed: {exc}") from None
        finally:
            dst.close()

    def tables(self) -> list[str]:
        """User tables."""
        rows = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def checksums(self, exclude: Sequence[str]) -> Mapping[str, TableChecksum]:
        """Row count and the sum of 64-bit row hashes per table, iterating a cursor."""
        out: dict[str, TableChecksum] = {}
        try:
            for table in self.tables():
                if table in exclude:
                    continue
                count, total = 0, 0
                # The cursor yields rows as SQLite produces them: memory stays flat.
                for row in self._conn.execute(f"SELECT * FROM {_quote(table)}"):
                    digest = hashlib.blake2b(repr(row).encode(), digest_size=8).digest()
                    total += int.from_bytes(digest, "big")
                    count += 1
                out[table] = TableChecksum(table=table, rows=count, checksum=f"{total & _MASK:016x}")
        except sqlite3.Error as exc:
            raise DrError(f"checksum of {self.path} failed: {exc}") from None
        return out

    def query(self, name: str, sql: str) -> QueryResult:
        """First column of the first row, as text."""
        try:
            row = self._conn.execute(sql).fetchone()
        except sqlite3.Error as exc:
            return QueryResult(name=name, value=None, error=str(exc))
        return QueryResult(name=name, value=None if row is None or row[0] is None else str(row[0]))

    def newest_marker(self, table: str, drill_id: str) -> int | None:
        """Highest marker sequence of ``drill_id``."""
        try:
            row = self._conn.execute(
                f"SELECT max(seq) FROM {_quote(table)} WHERE drill_id = ?", (drill_id,)
            ).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None or row[0] is None else int(row[0])

    def revision(self) -> str | None:
        """The ``alembic_version`` revision(s)."""
        try:
            rows = self._conn.execute("SELECT version_num FROM alembic_version ORDER BY 1").fetchall()
        except sqlite3.Error:
            return None
        return ",".join(str(r[0]) for r in rows) or None

    def size_bytes(self) -> int:
        """Size of the database file (page_count × page_size)."""
        pages = self._conn.execute("PRAGMA page_count").fetchone()
        size = self._conn.execute("PRAGMA page_size").fetchone()
        return int(pages[0]) * int(size[0]) if pages and size else 0

    def close(self) -> None:
        """End the read transaction and close."""
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")
        self._conn.close()
