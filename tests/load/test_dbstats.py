"""``db.queries``: pg_stat_statements during load, missing indexes flagged, skip paths."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from golive.load.checks import DbQueriesCheck
from golive.results import Status
from tests.fixtures.load import db_app
from tests.fixtures.load import postgres as pg
from tests.fixtures.servers import Server
from tests.load.conftest import RunCheck, measurement

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def stats_db() -> Iterator[str]:
    """A throwaway cluster that preloads pg_stat_statements."""
    if not pg.available():
        pytest.skip("needs /usr/lib/postgresql/15/bin/initdb and root (runs it as postgres)")
    with pg.cluster() as url:
        yield url


@pytest.fixture(scope="module")
def app(stats_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """HTTP app over the cluster with a 20 000-row table."""
    with db_app(tmp_path_factory.mktemp("dbapp"), stats_db) as server:
        yield server


def test_flags_sequential_scans_on_a_large_table(run_check: RunCheck, app: Server, stats_db: str) -> None:
    outcome = run_check(
        DbQueriesCheck,
        {
            "requests": [
                {"name": "scan", "path": "/scan?k=7"},
                {"name": "byid", "path": "/byid?id=42", "weight": 3},
            ],
            "users": 3,
            "duration": "2s",
            "create_extension": True,
        },
        base_url=app.url,
        database_url=stats_db,
    )
    assert outcome.status is Status.FAIL, outcome.summary
    assert "seq scans on public.big_events (" in outcome.summary
    assert measurement(outcome, "large_seq_scan_tables") == 1
    text = outcome.evidence.excerpt
    assert "top by total time" in text and "from big_events where kind = $1" in text
    assert "likely missing index" in text


def test_indexed_lookups_pass(run_check: RunCheck, app: Server, stats_db: str) -> None:
    outcome = run_check(
        DbQueriesCheck,
        {"requests": [{"path": "/byid?id=42"}], "users": 2, "duration": "2s", "create_extension": True},
        base_url=app.url,
        database_url=stats_db,
    )
    assert outcome.status is Status.PASS, outcome.summary
    assert "where id = $1" in outcome.evidence.excerpt
    assert measurement(outcome, "statements") >= 1


def test_a_load_that_only_gets_refused_is_no_data(run_check: RunCheck, app: Server, stats_db: str) -> None:
    """Every request is refused after a cheap lookup: the statistics show the error path only."""
    outcome = run_check(
        DbQueriesCheck,
        {"requests": [{"path": "/private"}], "users": 2, "duration": "2s", "create_extension": True},
        base_url=app.url,
        database_url=stats_db,
    )
    assert outcome.status is Status.NO_DATA, outcome.summary
    assert outcome.summary.startswith("the load did not exercise the service: ")
    assert "requests failed; fix the scenario" in outcome.summary


def test_skips_when_the_extension_is_not_preloaded(run_check: RunCheck, tmp_path: Path) -> None:
    """The machine's server does not preload pg_stat_statements: skip, and say how to enable it."""
    psycopg = pytest.importorskip("psycopg")
    name = f"golive_load_{uuid.uuid4().hex[:8]}"
    admin = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            preload = conn.execute("show shared_preload_libraries").fetchone()
            if preload and "pg_stat_statements" in str(preload[0]):
                pytest.skip("this server preloads pg_stat_statements")
            conn.execute(f"create database {name}")
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    try:
        outcome = run_check(
            DbQueriesCheck,
            {"requests": [{"path": "/"}], "duration": 1, "create_extension": True},
            base_url="http://127.0.0.1:9",
            database_url=f"postgresql://postgres@127.0.0.1:5432/{name}",
        )
        assert outcome.status is Status.SKIPPED
        assert "not loaded" in outcome.summary and "shared_preload_libraries" in outcome.summary
        assert not (tmp_path / "artifacts" / "dbload-plan.json").exists()  # no load was sent
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


def test_skips_without_postgres(run_check: RunCheck) -> None:
    outcome = run_check(
        DbQueriesCheck,
        {"requests": [{"path": "/"}], "duration": 1},
        base_url="http://127.0.0.1:9",
        database_url="sqlite:///x.db",
    )
    assert outcome.status is Status.SKIPPED and "PostgreSQL" in outcome.summary
