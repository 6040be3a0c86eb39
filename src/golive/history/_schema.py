"""The history schema: reviews, per-criterion results, sign-offs, deploys and named locks.

Timestamps are stored in UTC; naive datetimes are taken to be UTC already.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps no offset, so values are normalized to UTC before storing and marked UTC
    when read; PostgreSQL gets a ``timestamptz`` and the same normalization on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


metadata = MetaData()
"""The history schema; created with ``create_all`` when a store is opened."""

reviews_table = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Column("decision", String, nullable=False),
    Column("readiness", Float, nullable=False),
    Column("partial", Boolean, nullable=False, default=False),
    Column("interrupted", Boolean, nullable=False, default=False),
    Column("passed", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("golive_version", String, nullable=False, default=""),
    Column("report_json", Text, nullable=False),
    Index("ix_reviews_service_env_started", "service", "environment", "started_at"),
)
"""One row per stored review, with its full JSON in ``report_json``."""


def _review_ref() -> Column[int]:
    """The column that ties a row to its review; the row goes when the review does."""
    return Column(
        "review_id", Integer, ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False, index=True
    )


criterion_results_table = Table(
    "criterion_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _review_ref(),
    Column("criterion_id", String, nullable=False),
    Column("title", String, nullable=False),
    Column("area", String, nullable=False),
    Column("tier", String, nullable=False),
    Column("status", String, nullable=False),
    Column("waived", Boolean, nullable=False),
    Column("summary", Text, nullable=False),
    Column("duration_s", Float, nullable=False),
)
"""One row per criterion of a stored review: what history and diffs query."""

signoffs_table = Table(
    "signoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("review_id", Integer, ForeignKey("reviews.id", ondelete="SET NULL"), nullable=True),
    Column("name", String, nullable=False),
    Column("role", String, nullable=False),
    Column("decision", String, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("override_reason", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_signoffs_service_env", "service", "environment"),
)
"""Sign-offs by people, for the sign-off feature."""

deploys_table = Table(
    "deploys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("version", String, nullable=False),
    Column("strategy", String, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("outcome", String, nullable=False),
    Column("actor", String, nullable=False, default=""),
    Column("report_json", Text, nullable=False, default="{}"),
    Index("ix_deploys_service_env", "service", "environment"),
)
"""Recorded deploys, for the deploy feature."""

locks_table = Table(
    "locks",
    metadata,
    Column("name", String, primary_key=True),
    Column("holder", String, nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
"""Named locks with a holder and an expiry (see :meth:`SqlStore.acquire_lock`)."""

result_inputs_table = Table(
    "result_inputs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _review_ref(),
    Column("criterion_id", String, nullable=False),
    Column("check_type", String, nullable=False),
    Column("fingerprint", String, nullable=False),
    Column("status", String, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Index("ix_result_inputs_lookup", "fingerprint", "criterion_id"),
)
"""The input fingerprint of each freshly produced result of a reusable check (evidence reuse).

A table of its own rather than a column of ``criterion_results``: ``create_all`` adds it to
an existing store (SQLite or PostgreSQL) with no migration, and older golive versions ignore it.
"""
