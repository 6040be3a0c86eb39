"""Fixtures of the dr tests: seeded storefront databases on PostgreSQL and SQLite."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.dr import PG_ADMIN, SCRATCH_PREFIX, pg_database, pg_url, seed


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A seeded storefront database, seeded once and copied per test (CREATE ... TEMPLATE)."""
    with pg_database() as name:
        seed(pg_url(name))
        yield name


@pytest.fixture
def pg_source(pg_template: str) -> Iterator[str]:
    """A fresh copy of the seeded storefront database (SQLAlchemy URL); dropped afterwards."""
    name = SCRATCH_PREFIX + "t" + secrets.token_hex(5)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded storefront SQLite database, seeded once per session."""
    path = tmp_path_factory.mktemp("dr-template") / "storefront.db"
    seed(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_source(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the seeded SQLite database (SQLAlchemy URL)."""
    path = tmp_path / "source.db"
    shutil.copyfile(sqlite_template, path)
    wal = sqlite_template.with_name(sqlite_template.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, path.with_name(path.name + "-wal"))
    return f"sqlite:///{path}"
