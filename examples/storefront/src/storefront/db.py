"""Database engine and session factory (SQLAlchemy 2, sync API).

Request handlers are plain ``def`` functions, so FastAPI runs them in its thread pool; a sync
engine keeps transactions explicit and works identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from storefront.config import Settings


class Base(DeclarativeBase):
    """Declarative base of all ORM models."""


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.database_url`` with pool limits and SQLite pragmas."""
    url = settings.database_url
    if settings.is_sqlite:
        # Every SQLite transaction takes the write lock (see _configure_sqlite), so more than
        # one connection adds no concurrency: waiters would only spin in SQLite's busy handler.
        # One pooled connection makes them queue fairly on the pool instead.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_timeout=max(settings.db_pool_timeout_seconds, 30.0),
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=True,
    )


def _configure_sqlite(engine: Engine) -> None:
    """WAL + ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout.

    pysqlite opens transactions lazily on the first write, so two transactions that both read
    and then write can deadlock on the lock upgrade (SQLITE_BUSY without waiting). Taking the
    write lock at BEGIN serialises writers instead, which is what a small embedded store wants.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Session factory; objects stay usable after commit so handlers can serialise them."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session and always close it (generator for FastAPI dependencies)."""
    session = factory()
    try:
        yield session
    finally:
        session.close()


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE (``Session.execute`` is typed as returning a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount)
