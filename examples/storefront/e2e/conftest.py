"""E2E fixtures: real servers on free ports with fresh databases, headless Debian Chromium.

Self-contained: works as ``pytest examples/storefront/e2e`` from the repository root or as
``pytest e2e`` from ``examples/storefront``; add ``--junitxml=PATH`` for a JUnit report.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from storefront.testing import ADMIN_PASSWORD, FAST_HASH_ENV, ServerProcess, Shop

ADMIN_EMAIL = "admin@example.com"
CHROMIUM = os.environ.get("STOREFRONT_E2E_CHROMIUM", "/usr/bin/chromium")


def pytest_configure(config: pytest.Config) -> None:
    """Register markers (the suite may run under another project's pytest config)."""
    for line in (
        "e2e: end-to-end test against a running server",
        "critical: critical user path; must pass 100%",
    ):
        config.addinivalue_line("markers", line)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this directory is an E2E test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use the system Chromium (no browser downloads here), headless."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


def _start_shop(tmp: Path, **env: str) -> tuple[ServerProcess, Shop]:
    full_env = {
        **FAST_HASH_ENV,
        "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
        "JWT_SECRET": "e2e-" + secrets.token_hex(32),
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "RATE_LIMIT_IP": "100000/minute",
        "RATE_LIMIT_USER": "100000/minute",
        "RATE_LIMIT_LOGIN": "5/minute",
        "OUTBOX_POLL_INTERVAL_SECONDS": "0.2",
        **env,
    }
    seeded = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "storefront", "seed", "--products", "30", "--stock", "50"],
        env={**os.environ, **full_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    server = ServerProcess(full_env, tmp / "server.log").start()
    r = httpx.post(
        f"{server.base_url}/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert r.status_code == 200, r.text
    return server, Shop(server.base_url, {"Authorization": f"Bearer {r.json()['access_token']}"})


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The main server: fresh SQLite database, 30 seeded products, an admin."""
    server, shop = _start_shop(tmp_path_factory.mktemp("shop"))
    try:
        yield shop
    finally:
        server.stop()


@pytest.fixture(scope="session")
def short_ttl_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """A second server whose access tokens live 1 second (expiry and refresh flows).

    Tests wait for the expiry itself (``wait_until_expired``), not for a fixed time.
    """
    server, shop = _start_shop(tmp_path_factory.mktemp("short-ttl"), ACCESS_TOKEN_TTL_SECONDS="1")
    try:
        yield shop
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base_url(shop: Shop) -> str:
    """pytest-playwright resolves relative ``page.goto`` URLs against this."""
    return shop.url
