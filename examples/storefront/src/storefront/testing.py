"""Helpers for tests (ours, the E2E suite and golive's): run a real server, scratch databases.

Kept in the package so every suite that starts storefront does it the same way, from any cwd.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ClientFactory = Callable[..., "TestClient"]
"""Type of the ``make_client`` fixture: settings overrides in, a started TestClient out."""

TEST_PASSWORD = "correct-horse-battery"  # test-only credential
ADMIN_PASSWORD = "admin-test-password-1"  # test-only credential

PG_ADMIN_URL = os.environ.get(
    "STOREFRONT_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"
)

# Cheap argon2 parameters: tests verify behaviour, not hashing cost.
FAST_HASH_ENV = {
    "ARGON2_TIME_COST": "1",
    "ARGON2_MEMORY_COST_KIB": "8",
    "ARGON2_PARALLELISM": "1",
}


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tcp_reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something listens on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def postgres_available() -> bool:
    """Whether the test PostgreSQL server answers."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001
        return False


def create_pg_database(prefix: str = "storefront_test") -> str:
    """Create a scratch database; return its SQLAlchemy URL (``postgresql+psycopg://``)."""
    import psycopg
    from psycopg import sql

    name = f"{prefix}_{secrets.token_hex(5)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    """Drop a scratch database created by :func:`create_pg_database`."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        conn.execute(drop)


class ServerProcess:
    """``python -m storefront serve`` in a subprocess on a free port, logs to a file."""

    def __init__(self, env: Mapping[str, str], log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {**os.environ, **FAST_HASH_ENV, **env}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> ServerProcess:
        """Start and wait until ``/readyz`` answers 200."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                sys.executable,
                "-m",
                "storefront",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-4000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready:\n{self.log_path.read_text()[-4000:]}")

    def terminate(self) -> None:
        """Send SIGTERM (graceful shutdown) without waiting."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for exit; return the exit code."""
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time. Safe to call twice."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_server(env: Mapping[str, str], log_path: Path) -> Iterator[ServerProcess]:
    """Context manager form of :class:`ServerProcess`."""
    server = ServerProcess(env, log_path).start()
    try:
        yield server
    finally:
        server.stop()


# --- HTTP helpers used by the test suites ---------------------------------------------------


def unique_email(prefix: str = "user") -> str:
    """A new e-mail address per call."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def register_and_login(client: httpx.Client, email: str | None = None) -> dict[str, Any]:
    """Create a customer and log in; returns the token pair plus ``headers`` and ``email``."""
    email = email or unique_email()
    r = client.post(
        "/auth/register", json={"email": email, "password": TEST_PASSWORD, "name": "Test User"}
    )
    assert r.status_code == 201, r.text
    r = client.post("/auth/login", json={"email": email, "password": TEST_PASSWORD})
    assert r.status_code == 200, r.text
    tokens: dict[str, Any] = r.json()
    tokens["headers"] = {"Authorization": f"Bearer {tokens['access_token']}"}
    tokens["email"] = email
    return tokens


def admin_headers(client: httpx.Client) -> dict[str, str]:
    """Create (or reset) an admin in a TestClient's app and return its bearer headers."""
    from storefront.services.auth import ensure_admin

    ctx = client.app.state.ctx  # type: ignore[attr-defined]  # a TestClient
    email = "admin@example.com"
    with ctx.sessions() as db:
        ensure_admin(db, ctx.hasher, email, ADMIN_PASSWORD)
    r = client.post("/auth/login", json={"email": email, "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def create_product(
    client: httpx.Client,
    headers: dict[str, str],
    stock: int = 10,
    price_cents: int = 1250,
    name: str = "Test Mug",
) -> dict[str, Any]:
    """Add a product as admin."""
    r = client.post(
        "/products",
        json={
            "sku": "SKU-" + secrets.token_hex(4),
            "name": name,
            "price_cents": price_cents,
            "stock": stock,
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    product: dict[str, Any] = r.json()
    return product


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> None:
    """Poll until ``predicate()`` is true or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def new_key() -> str:
    """A fresh Idempotency-Key."""
    return uuid.uuid4().hex


@dataclass
class Shop:
    """A running storefront (E2E suites) and how to reach it as admin."""

    url: str
    admin_headers: dict[str, str]

    def create_product(self, name: str, stock: int = 10, price_cents: int = 1500) -> dict[str, Any]:
        """Add a product through the admin API."""
        r = httpx.post(
            f"{self.url}/products",
            headers=self.admin_headers,
            json={
                "sku": "E2E-" + secrets.token_hex(5),
                "name": name,
                "price_cents": price_cents,
                "stock": stock,
            },
        )
        assert r.status_code == 201, r.text
        product: dict[str, Any] = r.json()
        return product
