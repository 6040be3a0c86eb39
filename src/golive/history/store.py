"""The SQL history store: SQLite by default, PostgreSQL on request, one schema for both.

The schema is created on first use. Every review keeps its full JSON (so it can be loaded
back exactly) plus one row per criterion (so history and diffs are plain queries). The
same module keeps sign-offs, deploys and named locks for the features that need them.

Timestamps are stored in UTC; naive datetimes are taken to be UTC already.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    Engine,
    Row,
    create_engine,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.sql.dml import Insert

from golive._serialize import from_jsonable, to_jsonable
from golive.history._evidence import find_evidence, insert_fingerprints
from golive.history._schema import (
    criterion_results_table,
    deploys_table,
    locks_table,
    metadata,
    reviews_table,
    signoffs_table,
    utcnow,
)
from golive.history._txn import GaveUpError, configure_sqlite, create_schema, with_retries, write_transaction
from golive.history._urls import DEFAULT_DB_PATH, default_store_url, normalize, reason, safe_url
from golive.history.base import (
    CriterionChange,
    DeployRecord,
    HistoryError,
    ReviewDiff,
    ReviewSummary,
    SignoffRecord,
)
from golive.results import CheckResult, Decision, Review, Status, Tier

__all__ = ["DEFAULT_DB_PATH", "SqlStore", "default_store_url", "open_store", "safe_url"]


def open_store(url: str | None, *, root: Path) -> SqlStore:
    """Open (and on first use create) the history store.

    ``url`` is an SQLAlchemy URL (``sqlite:///...``, ``postgresql://user@host/db``); ``None``
    means the SQLite file ``<root>/.golive/history.db``, whose directory is created.
    Raises :class:`HistoryError` if the URL is invalid or the store cannot be reached.
    """
    if url is None:
        try:
            (root / DEFAULT_DB_PATH).parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise HistoryError(f"cannot create the history directory: {e}") from e
        url = default_store_url(root)
    shown = safe_url(url)
    try:
        parsed = normalize(url)
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            # Fail fast on unreachable hosts instead of the driver's unbounded wait.
            connect_args["connect_timeout"] = 10
        engine = create_engine(parsed, connect_args=connect_args)
    except (ArgumentError, ImportError, ValueError) as e:
        raise HistoryError(f"invalid history store URL {shown}: {reason(e, url)}") from e
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    store = SqlStore(engine, shown=shown, raw_url=url)
    try:
        store.create_schema()
    except HistoryError:
        store.close()
        raise
    return store


class SqlStore:
    """A history store on an SQLAlchemy engine (SQLite or PostgreSQL).

    Build it with :func:`open_store`. Usable as a context manager that closes it.
    """

    def __init__(self, engine: Engine, *, shown: str, raw_url: str = "") -> None:
        """Wrap an engine; ``shown`` is the password-free URL used in messages."""
        self._engine = engine
        self._raw_url = raw_url
        self.url = shown
        """The store's URL with the password masked."""

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except GaveUpError as e:
            raise HistoryError(
                f"history store {self.url}: cannot {action}: {reason(e.error, self._raw_url)} "
                f"(still failing after {e.attempts} attempts: another process may be holding "
                "the database; try again, or check the database's locks and load)"
            ) from e
        except SQLAlchemyError as e:
            raise HistoryError(
                f"history store {self.url}: cannot {action}: {reason(e, self._raw_url)}"
            ) from e

    def create_schema(self) -> None:
        """Create the tables that do not exist yet (done by :func:`open_store`).

        Safe when several processes open a fresh store at once: one creates, the others wait.
        """
        with self._errors("open the store"):
            create_schema(self._engine, metadata)

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        """Use the store in a ``with`` block that closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    # -- reviews --------------------------------------------------------------------------

    def save_review(self, review: Review) -> int:
        """Store a review and one row per criterion in one transaction; return its id."""
        report_json = json.dumps(to_jsonable(review), sort_keys=True)
        with self._errors("save the review"):
            return with_retries(lambda: self._insert_review(review, report_json))

    def _insert_review(self, review: Review, report_json: str) -> int:
        with write_transaction(self._engine) as conn:
            result = conn.execute(
                insert(reviews_table).values(
                    service=review.service,
                    environment=review.environment,
                    started_at=review.started_at,
                    finished_at=review.finished_at,
                    decision=review.decision.value,
                    readiness=review.scorecard.readiness,
                    partial=review.partial,
                    interrupted=review.interrupted,
                    passed=sum(r.passed for r in review.results),
                    total=len(review.results),
                    golive_version=review.golive_version,
                    report_json=report_json,
                )
            )
            review_id = _new_id(result)
            if review.results:
                conn.execute(
                    insert(criterion_results_table),
                    [
                        {
                            "review_id": review_id,
                            "criterion_id": r.criterion_id,
                            "title": r.title,
                            "area": r.area,
                            "tier": r.tier.value,
                            "status": r.status.value,
                            "waived": r.waived,
                            "summary": r.summary,
                            "duration_s": r.duration_s,
                        }
                        for r in review.results
                    ],
                )
            insert_fingerprints(conn, review_id, review)
        return review_id

    def find_evidence(self, **query: Any) -> tuple[int, datetime, CheckResult] | None:
        """The newest pass/fail result with the same inputs, for evidence reuse.

        Takes the keywords of :func:`golive.history._evidence.find_evidence`.
        """
        with self._errors("look up earlier evidence"):
            return find_evidence(self._engine, **query)

    def reviews(
        self, service: str | None = None, environment: str | None = None, limit: int = 50
    ) -> list[ReviewSummary]:
        """Stored reviews, newest first, optionally of one service and/or environment."""
        if limit < 1:
            raise HistoryError(f"limit must be at least 1, not {limit}")
        t = reviews_table
        query = select(*_SUMMARY_COLUMNS)
        if service is not None:
            query = query.where(t.c.service == service)
        if environment is not None:
            query = query.where(t.c.environment == environment)
        query = query.order_by(t.c.started_at.desc(), t.c.id.desc()).limit(limit)
        with self._errors("list reviews"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_summary(row) for row in rows]

    def targets(self) -> list[tuple[str, str]]:
        """Every (service, environment) pair with at least one stored review, sorted."""
        t = reviews_table
        query = select(t.c.service, t.c.environment).distinct().order_by(t.c.service, t.c.environment)
        with self._errors("list services"), self._engine.connect() as conn:
            return [(row.service, row.environment) for row in conn.execute(query).all()]

    def load_review(self, review_id: int) -> Review:
        """The full review stored under ``review_id``, equal to the one saved."""
        t = reviews_table
        with self._errors(f"load review #{review_id}"), self._engine.connect() as conn:
            text = conn.execute(select(t.c.report_json).where(t.c.id == review_id)).scalar()
        if text is None:
            raise HistoryError(f"history store {self.url}: no review #{review_id}")
        try:
            return from_jsonable(Review, json.loads(text))
        except (ValueError, KeyError, TypeError) as e:
            raise HistoryError(f"history store {self.url}: review #{review_id} is corrupt: {e}") from e

    def latest(self, service: str, environment: str, *, include_partial: bool = False) -> Review | None:
        """The newest review of a service in an environment, or ``None``.

        Partial and interrupted reviews are skipped unless ``include_partial``.
        """
        ids = self._latest_ids(service, environment, count=1, include_partial=include_partial)
        return self.load_review(ids[0].id) if ids else None

    def _latest_ids(
        self, service: str, environment: str, *, count: int, include_partial: bool
    ) -> list[ReviewSummary]:
        t = reviews_table
        query = select(*_SUMMARY_COLUMNS).where(t.c.service == service, t.c.environment == environment)
        if not include_partial:
            query = query.where(t.c.partial.is_(False), t.c.interrupted.is_(False))
        query = query.order_by(t.c.started_at.desc(), t.c.id.desc()).limit(count)
        with self._errors("find the latest review"), self._engine.connect() as conn:
            return [_summary(row) for row in conn.execute(query).all()]

    def diff(self, service: str, environment: str) -> ReviewDiff:
        """Compare the latest two complete reviews of a service in an environment."""
        latest = self._latest_ids(service, environment, count=2, include_partial=False)
        current = latest[0] if latest else None
        previous = latest[1] if len(latest) > 1 else None
        if current is None or previous is None:
            return ReviewDiff(service=service, environment=environment, previous=previous, current=current)
        c = criterion_results_table
        query = select(c.c.review_id, c.c.criterion_id, c.c.title, c.c.tier, c.c.status, c.c.waived).where(
            c.c.review_id.in_([previous.id, current.id])
        )
        with self._errors("compare reviews"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        old = {r.criterion_id: r for r in rows if r.review_id == previous.id}
        new = {r.criterion_id: r for r in rows if r.review_id == current.id}
        changes = [
            change
            for cid in old.keys() | new.keys()
            if (change := _change(old.get(cid), new.get(cid))) is not None
        ]
        changes.sort(key=lambda ch: ch.sort_key)
        return ReviewDiff(
            service=service,
            environment=environment,
            previous=previous,
            current=current,
            changes=tuple(changes),
        )

    # -- locks ----------------------------------------------------------------------------

    def acquire_lock(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take the named lock for ``ttl_s`` seconds; return whether it was taken.

        A lock held by someone else and not expired is refused; an expired one is taken
        over; the current holder re-acquiring it extends it. Safe across processes: the
        insert fails on the primary key, and takeover is one conditional UPDATE.
        """
        if ttl_s <= 0:
            raise HistoryError(f"lock ttl must be positive, not {ttl_s}")
        with self._errors(f"acquire lock {name!r}"):
            return with_retries(lambda: self._try_acquire(name, holder, ttl_s))

    def _try_acquire(self, name: str, holder: str, ttl_s: float) -> bool:
        t = locks_table
        # Bounded retries: the row can vanish (released) between our insert and update.
        for _ in range(3):
            now = utcnow()
            expires = now + timedelta(seconds=ttl_s)
            try:
                with write_transaction(self._engine) as conn:
                    conn.execute(
                        insert(t).values(name=name, holder=holder, acquired_at=now, expires_at=expires)
                    )
                return True
            except IntegrityError:
                pass
            with write_transaction(self._engine) as conn:
                taken = conn.execute(
                    update(t)
                    .where(t.c.name == name, or_(t.c.expires_at <= now, t.c.holder == holder))
                    .values(holder=holder, acquired_at=now, expires_at=expires)
                )
                if taken.rowcount == 1:
                    return True
                if conn.execute(select(t.c.name).where(t.c.name == name)).first():
                    return False
        return False

    def release_lock(self, name: str, holder: str) -> bool:
        """Release the named lock if ``holder`` holds it; return whether it was released."""
        t = locks_table

        def attempt() -> bool:
            with write_transaction(self._engine) as conn:
                return bool(conn.execute(delete(t).where(t.c.name == name, t.c.holder == holder)).rowcount)

        with self._errors(f"release lock {name!r}"):
            return with_retries(attempt)

    # -- sign-offs and deploys ------------------------------------------------------------

    def add_signoff(
        self,
        *,
        service: str,
        environment: str,
        name: str,
        role: str,
        decision: str,
        comment: str = "",
        override_reason: str = "",
        review_id: int | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """Record a sign-off (``created_at`` defaults to now); return its id."""
        row = insert(signoffs_table).values(
            service=service,
            environment=environment,
            review_id=review_id,
            name=name,
            role=role,
            decision=decision,
            comment=comment,
            override_reason=override_reason,
            created_at=created_at or utcnow(),
        )
        with self._errors("record the sign-off"):
            return with_retries(lambda: self._insert(row))

    def _insert(self, statement: Insert) -> int:
        with write_transaction(self._engine) as conn:
            return _new_id(conn.execute(statement))

    def signoffs(self, service: str, environment: str) -> list[SignoffRecord]:
        """Sign-offs for a service in an environment, newest first."""
        t = signoffs_table
        query = (
            select(t)
            .where(t.c.service == service, t.c.environment == environment)
            .order_by(t.c.created_at.desc(), t.c.id.desc())
        )
        with self._errors("list sign-offs"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [SignoffRecord(**row._asdict()) for row in rows]

    def add_deploy(
        self,
        *,
        service: str,
        environment: str,
        version: str,
        strategy: str,
        started_at: datetime,
        outcome: str,
        finished_at: datetime | None = None,
        actor: str = "",
        report_json: str = "{}",
    ) -> int:
        """Record a deploy; return its id."""
        row = insert(deploys_table).values(
            service=service,
            environment=environment,
            version=version,
            strategy=strategy,
            started_at=started_at,
            finished_at=finished_at,
            outcome=outcome,
            actor=actor,
            report_json=report_json,
        )
        with self._errors("record the deploy"):
            return with_retries(lambda: self._insert(row))

    def deploys(self, service: str, environment: str | None = None) -> list[DeployRecord]:
        """Deploys of a service (optionally in one environment), newest first."""
        t = deploys_table
        query = select(t).where(t.c.service == service)
        if environment is not None:
            query = query.where(t.c.environment == environment)
        query = query.order_by(t.c.started_at.desc(), t.c.id.desc())
        with self._errors("list deploys"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [DeployRecord(**row._asdict()) for row in rows]


_Row = Row[*tuple[Any, ...]]


def _new_id(result: CursorResult[*tuple[Any, ...]]) -> int:
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every table here has an integer primary key
        raise HistoryError("the database did not return the new row's id")
    return int(key[0])


_SUMMARY_COLUMNS = (
    reviews_table.c.id,
    reviews_table.c.service,
    reviews_table.c.environment,
    reviews_table.c.started_at,
    reviews_table.c.finished_at,
    reviews_table.c.decision,
    reviews_table.c.readiness,
    reviews_table.c.partial,
    reviews_table.c.interrupted,
    reviews_table.c.passed,
    reviews_table.c.total,
    reviews_table.c.golive_version,
)


def _summary(row: _Row) -> ReviewSummary:
    return ReviewSummary(
        id=row.id,
        service=row.service,
        environment=row.environment,
        started_at=row.started_at,
        finished_at=row.finished_at,
        decision=Decision(row.decision),
        readiness=float(row.readiness),
        partial=bool(row.partial),
        interrupted=bool(row.interrupted),
        passed=int(row.passed),
        total=int(row.total),
        golive_version=row.golive_version,
    )


def _change(old: _Row | None, new: _Row | None) -> CriterionChange | None:
    def passed(row: _Row) -> bool:
        return row.status == Status.PASS.value or bool(row.waived)

    if old is not None and new is not None:
        if (old.status, bool(old.waived)) == (new.status, bool(new.waived)):
            return None
    ref = new if new is not None else old
    assert ref is not None  # the criterion id came from one of the two reviews
    return CriterionChange(
        criterion_id=ref.criterion_id,
        title=ref.title,
        tier=Tier(ref.tier),
        old_status=Status(old.status) if old is not None else None,
        new_status=Status(new.status) if new is not None else None,
        old_passed=passed(old) if old is not None else False,
        new_passed=passed(new) if new is not None else False,
        old_waived=bool(old.waived) if old is not None else False,
        new_waived=bool(new.waived) if new is not None else False,
    )
