"""Fixtures for the history store tests: a store on SQLite and on a scratch PostgreSQL DB."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from golive.history import SqlStore, open_store
from golive.results import CheckResult, Review, Status, Tier
from golive.scoring import score
from golive.spec.models import Tiers

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A scratch PostgreSQL database for this test module, dropped afterwards."""
    with scratch_pg_database("golive_hist") as url:
        yield url


@contextmanager
def scratch_pg_database(prefix: str) -> Iterator[str]:
    """A uniquely named, empty PostgreSQL database, dropped afterwards (also on failure)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def reset_pg(url: str) -> None:
    """Drop every table so each test starts from an empty (not yet created) schema."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store, on SQLite and on PostgreSQL (tests run once per backend)."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("pg_url")
        reset_pg(url)
        return url
    return f"sqlite:///{tmp_path / 'history.db'}"


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[SqlStore]:
    """An open, empty store."""
    with open_store(store_url, root=tmp_path) as s:
        yield s


T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def result(
    cid: str,
    status: Status = Status.PASS,
    *,
    tier: Tier = Tier.MUST,
    area: str = "monitoring",
    waived: bool = False,
) -> CheckResult:
    """A check result with sensible defaults."""
    return CheckResult(
        criterion_id=cid,
        title=f"Title of {cid}",
        area=area,
        tier=tier,
        check_type="command",
        status=status,
        summary=f"{cid} is {status.value}",
        duration_s=0.25,
        waived=waived,
    )


def review(
    results: list[CheckResult],
    *,
    day: int = 0,
    service: str = "checkout",
    environment: str = "staging",
    partial: bool = False,
    interrupted: bool = False,
) -> Review:
    """A scored review started ``day`` days after T0."""
    started = T0 + timedelta(days=day)
    return Review(
        service=service,
        environment=environment,
        spec_path="/srv/checkout/golive.yaml",
        started_at=started,
        finished_at=started + timedelta(seconds=42),
        results=tuple(results),
        scorecard=score(results, Tiers()),
        partial=partial,
        interrupted=interrupted,
        golive_version="0.1.0",
    )


@pytest.fixture
def make_result() -> Callable[..., CheckResult]:
    """The :func:`result` factory."""
    return result


@pytest.fixture
def make_review() -> Callable[..., Review]:
    """The :func:`review` factory."""
    return review
