"""Fixtures shared by all of golive's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures import httpserver
from tests.fixtures.reuse import rig  # noqa: F401  (shared fixture)
from tests.fixtures.review import review  # noqa: F401  (shared fixture)
from tests.fixtures.servers import Server, storefront

# Test data lives in fixtures/, including sample test suites that checks run: never collect it.
collect_ignore = ["fixtures"]


@pytest.fixture(scope="module")
def storefront_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running examples/storefront on SQLite, shared by the tests of one module."""
    tmp: Path = tmp_path_factory.mktemp("storefront")
    with storefront(tmp) as server:
        yield server


@pytest.fixture(scope="session")
def http_base() -> Iterator[str]:
    """Base URL of a small real HTTP server (see tests/fixtures/httpserver.py)."""
    with httpserver.serve() as url:
        yield url
