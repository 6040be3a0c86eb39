"""The dr family's error and the protocol each database kind implements for a drill."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from golive.errors import GoliveError

__all__ = [
    "DrError",
    "QueryResult",
    "ScratchDatabase",
    "Snapshot",
    "TableChecksum",
]


class DrError(GoliveError):
    """A database, backup or drill step could not be read, created or cleaned up."""


@dataclass(frozen=True, kw_only=True)
class TableChecksum:
    """Row count and an order-independent content checksum of one table."""

    table: str
    rows: int
    checksum: str


@dataclass(frozen=True, kw_only=True)
class QueryResult:
    """The first row of a verification query, as text (``None`` for no row)."""

    name: str
    value: str | None
    error: str = ""


class Snapshot(Protocol):
    """A read-only, consistent view of one database (the backup's or the restore's)."""

    def checksums(self, exclude: Sequence[str]) -> Mapping[str, TableChecksum]:
        """Per-table checksums, streamed: memory does not grow with table size."""
        ...

    def query(self, name: str, sql: str) -> QueryResult:
        """Run a verification query; errors are captured, not raised."""
        ...

    def newest_marker(self, table: str, drill_id: str) -> int | None:
        """The highest marker sequence number of this drill in the snapshot."""
        ...

    def revision(self) -> str | None:
        """The Alembic revision stored in the database (``alembic_version``), if any."""
        ...

    def size_bytes(self) -> int:
        """Size of the database (pg_database_size, or the SQLite file)."""
        ...

    def close(self) -> None:
        """End the snapshot's transaction and close its connection."""
        ...


@dataclass(frozen=True, kw_only=True)
class ScratchDatabase:
    """A database golive created for a drill and must drop afterwards."""

    #: URL in the service's own dialect (``postgresql+psycopg://…``, ``sqlite:///…``).
    url: str
    #: Database name (PostgreSQL) or file path (SQLite).
    name: str
    path: Path | None = None
