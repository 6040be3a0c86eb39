"""Fixtures of the dr tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.dr import pg_database, pg_url, seed, storefront_cli


@pytest.fixture
def pg_source() -> Iterator[str]:
    """A seeded storefront database on the local PostgreSQL (SQLAlchemy URL)."""
    with pg_database() as name:
        url = pg_url(name)
        seed(url)
        yield url


@pytest.fixture
def sqlite_source(tmp_path: Path) -> str:
    """A seeded storefront SQLite database (SQLAlchemy URL)."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url)
    return url


__all__ = ["storefront_cli"]
