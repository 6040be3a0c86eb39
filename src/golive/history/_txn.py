"""Transactions that survive concurrent golive processes on one store.

Parallel CI jobs, a review and a sign-off may all open the same store at once, possibly
before its tables exist. So the schema is created under a lock (a transaction-scoped
advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), SQLite waits for a busy
database instead of failing at once, and writes that lose a transient conflict
(serialization failure, deadlock, a locked database) are retried with bounded backoff:
every write here is one atomic transaction, so a retry never stores anything twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, MetaData, event, text
from sqlalchemy.exc import DBAPIError

SCHEMA_LOCK_KEY = 0x676F6C6976650001
"""The ``pg_advisory_xact_lock`` key serialising schema creation ("golive" + 1)."""

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long an SQLite statement waits for another process's write lock before failing."""

ATTEMPTS = 6
"""Tries of one write before giving up (the first try included)."""

FIRST_DELAY_S = 0.05
MAX_DELAY_S = 2.0

# Serialization failure, deadlock, lock not available: the transaction lost a race and
# rolled back whole, so running it again is safe.
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
_TRANSIENT_SQLITE = ("database is locked", "database table is locked", "database schema has changed")

_WRITE_OPTION = "golive_write"

_T = TypeVar("_T")


class GaveUpError(Exception):
    """A transient failure that outlived every retry; ``error`` is the last one."""

    def __init__(self, error: DBAPIError, attempts: int) -> None:
        """Remember the last failure and how many attempts were made."""
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts


def is_transient(error: DBAPIError) -> bool:
    """True for a failure that a fresh attempt of the same transaction may not meet."""
    orig = error.orig
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    message = str(orig).lower()
    return any(marker in message for marker in _TRANSIENT_SQLITE)


def with_retries(work: Callable[[], _T], *, attempts: int | None = None) -> _T:
    """``work()``, run again after a transient failure, with jittered exponential backoff.

    Up to ``attempts`` tries (default :data:`ATTEMPTS`). Raises :class:`GaveUpError` when the
    last one also failed transiently; any other error propagates at once.
    """
    attempts = ATTEMPTS if attempts is None else attempts
    delay = FIRST_DELAY_S
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as e:
            if not is_transient(e):
                raise
            if attempt == attempts:
                raise GaveUpError(e, attempts) from e
        # Jitter keeps processes that collided once from colliding again in lockstep.
        time.sleep(delay * random.uniform(0.5, 1.5))  # noqa: S311 - not security related
        delay = min(delay * 2, MAX_DELAY_S)
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction meant to write (``BEGIN IMMEDIATE`` on SQLite)."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn


def create_schema(engine: Engine, metadata: MetaData) -> None:
    """Create the missing tables, one process at a time, retried on transient failures."""

    def attempt() -> None:
        with engine.connect() as conn:
            # The common case, tables present, needs no lock (and waits for no writer).
            if all(conn.dialect.has_table(conn, name) for name in metadata.tables):
                return
        with write_transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                # DDL is transactional on PostgreSQL: the lock is held until the tables are
                # committed, and a waiting process then sees them and creates nothing.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            metadata.create_all(conn)

    with_retries(attempt)


def configure_sqlite(engine: Engine) -> None:
    """Make an SQLite engine wait when busy, enforce foreign keys, and take write locks early.

    pysqlite's own transaction handling begins transactions late (not for DDL nor SELECT),
    so a schema check-then-create could interleave with another process; golive begins them
    itself, and a write transaction takes the write lock up front (``BEGIN IMMEDIATE``), which
    also avoids the read-to-write lock upgrade that fails at once instead of waiting.
    """
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
