"""Fixtures for the storefront unit and integration tests (SQLite and PostgreSQL).

Self-contained and independent of the working directory, so ``pytest examples/storefront/tests``
works from the repository root as well as from ``examples/storefront``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from storefront import migrate
from storefront.app import create_app
from storefront.config import Settings
from storefront.db import make_engine
from storefront.testing import (
    FAST_HASH_ENV,
    create_pg_database,
    drop_pg_database,
    postgres_available,
)


def pytest_configure(config: pytest.Config) -> None:
    """Register markers here too: the suite may run under another project's pytest config."""
    for line in (
        "postgres: needs the PostgreSQL server",
        "nats: needs the NATS JetStream server",
        "redis: needs the Redis server",
        "e2e: end-to-end test against a running server",
        "critical: critical user path; must pass 100%",
    ):
        config.addinivalue_line("markers", line)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A scratch PostgreSQL database for this test session, migrated to head, then dropped."""
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable")
    url = create_pg_database()
    engine = make_engine(Settings(database_url=url))
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    drop_pg_database(url)


TABLES = (
    "notifications, processed_events, outbox_events, order_items, orders, refresh_tokens, "
    "auth_sessions, products, users"
)


def _truncate(url: str) -> None:
    engine = make_engine(Settings(database_url=url))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()


SettingsFactory = Callable[..., Settings]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, or the truncated PostgreSQL scratch DB."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'storefront.db'}"
    url: str = request.getfixturevalue("pg_url")
    _truncate(url)
    return url


@pytest.fixture
def make_settings(db_url: str) -> SettingsFactory:
    """Build test settings on ``db_url``; keyword arguments override fields."""

    def factory(**overrides: object) -> Settings:
        values: dict[str, Any] = {
            "database_url": db_url,
            "auto_migrate": True,
            "jwt_secret": "test-secret-" + "x" * 40,
            "argon2_time_cost": int(FAST_HASH_ENV["ARGON2_TIME_COST"]),
            "argon2_memory_cost_kib": int(FAST_HASH_ENV["ARGON2_MEMORY_COST_KIB"]),
            "argon2_parallelism": int(FAST_HASH_ENV["ARGON2_PARALLELISM"]),
            "rate_limit_ip": "100000/minute",
            "rate_limit_user": "100000/minute",
            "rate_limit_login": "100000/minute",
            "outbox_poll_interval_seconds": 0.05,
            "log_level": "WARNING",
        }
        values.update(overrides)
        return Settings(**values)

    return factory


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(make_settings: SettingsFactory) -> Iterator[ClientFactory]:
    """Start apps (lifespan included) with overridden settings; all closed at teardown."""
    clients: list[TestClient] = []

    def factory(**overrides: object) -> TestClient:
        client = TestClient(create_app(make_settings(**overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for c in reversed(clients):
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    """An app with default test settings."""
    return make_client()
