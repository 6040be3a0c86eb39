"""The real process: CLI, graceful shutdown, metrics over HTTP, no overselling under load."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from storefront.testing import (
    ADMIN_PASSWORD,
    FAST_HASH_ENV,
    TEST_PASSWORD,
    ServerProcess,
    create_pg_database,
    drop_pg_database,
    postgres_available,
    wait_for,
)

ADMIN_EMAIL = "admin@example.com"


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "storefront", *args],
        env={**os.environ, **FAST_HASH_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for a server process (own PostgreSQL database, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
        return
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable")
    url = create_pg_database("storefront_srv")
    yield url
    drop_pg_database(url)


def _env(db: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": db,
        "JWT_SECRET": "server-test-secret-" + "z" * 32,
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SEED_USER_PASSWORD": TEST_PASSWORD,
        "RATE_LIMIT_IP": "100000/minute",
        "RATE_LIMIT_USER": "100000/minute",
        "LOG_LEVEL": "INFO",
        "AUTO_MIGRATE": "true",
        **extra,
    }


def _token(base: str, email: str, password: str) -> dict[str, str]:
    r = httpx.post(f"{base}/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_cli_migrate_seed_and_errors(tmp_path: Path) -> None:
    env = _env(f"sqlite:///{tmp_path / 'cli.db'}", AUTO_MIGRATE="false")
    r = _cli(env, "migrate")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "database at revision 0001" in r.stdout
    r = _cli({**env, "SEED_USER_PASSWORD": ""}, "seed", "--products", "3", "--users", "2")
    assert r.returncode != 0 and "SEED_USER_PASSWORD" in r.stderr
    r = _cli(env, "seed", "--products", "25", "--users", "5")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "admin: admin@example.com" in r.stdout and ADMIN_PASSWORD not in r.stdout
    r = _cli(env, "migrate", "--downgrade", "--revision", "base")
    assert r.returncode == 0 and "revision None" in r.stdout


def _started(tmp_path: Path, env: dict[str, str]) -> ServerProcess:
    # AUTO_MIGRATE=true: seeding migrates first (also on PostgreSQL), the server re-checks.
    seeded = _cli(env, "seed", "--products", "5", "--users", "3", "--stock", "20")
    assert seeded.returncode == 0, seeded.stderr
    return ServerProcess(env, tmp_path / "server.log").start()


def test_metrics_then_graceful_shutdown(server_db: str, tmp_path: Path) -> None:
    """`curl /metrics` shows the metrics; `kill -TERM` during a slow request lets it finish."""
    server = _started(tmp_path, _env(server_db, APP_VERSION="9.9.9", PAYMENT_LATENCY_MS="1500"))
    try:
        base = server.base_url
        _check_metrics(base)
        _check_graceful_shutdown(server, base)
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert '"request_id": "trace-me-42"' in log and '"route": "/products"' in log
    assert "storefront stopped" in log
    assert TEST_PASSWORD not in log and ADMIN_PASSWORD not in log


def _check_metrics(base: str) -> None:
    headers = _token(base, "user2@example.com", TEST_PASSWORD)
    r = httpx.post(
        f"{base}/orders",
        json={"items": [{"product_id": 2, "quantity": 2}]},
        headers={**headers, "Idempotency-Key": "metrics-test-1"},
    )
    httpx.post(f"{base}/orders/{r.json()['id']}/pay", headers=headers, timeout=30)
    httpx.get(f"{base}/products/2")
    httpx.get(f"{base}/products", headers={"X-Request-ID": "trace-me-42"})
    text = httpx.get(f"{base}/metrics").text
    assert 'http_requests_total{method="GET",route="/products/{product_id}",status="200"}' in text
    assert 'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/orders"}' in text
    for name in (
        "http_requests_in_flight",
        "storefront_db_pool_checked_out",
        "storefront_outbox_lag_seconds",
        "storefront_outbox_pending",
        "storefront_orders_created_total 1.0",
        "storefront_orders_paid_total 1.0",
        "storefront_revenue_total",
    ):
        assert name in text, name
    assert 'storefront_build_info{build_sha="unknown",version="9.9.9"} 1.0' in text
    assert httpx.get(f"{base}/version").json()["version"] == "9.9.9"


def _check_graceful_shutdown(server: ServerProcess, base: str) -> None:
    headers = _token(base, "user1@example.com", TEST_PASSWORD)
    order = httpx.post(
        f"{base}/orders",
        json={"items": [{"product_id": 1, "quantity": 1}]},
        headers={**headers, "Idempotency-Key": "shutdown-test-1"},
    ).json()
    result: dict[str, Any] = {}

    def pay() -> None:
        try:
            result["response"] = httpx.post(
                f"{base}/orders/{order['id']}/pay", headers=headers, timeout=30
            )
        except httpx.HTTPError as exc:  # pragma: no cover - reported below
            result["error"] = exc

    t = threading.Thread(target=pay)
    t.start()
    # The slow payment (1.2-1.8 s) is in flight once the gauge counts it beside this scrape.
    wait_for(lambda: _in_flight(base) >= 2, timeout=10, interval=0.02)
    started = time.monotonic()
    server.terminate()
    t.join(30)
    code = server.wait(30)
    assert "error" not in result, result
    assert result["response"].status_code == 200
    assert result["response"].json()["status"] == "paid"
    assert code == 0
    assert time.monotonic() - started >= 1.0  # it really waited for the request


def _in_flight(base: str) -> float:
    """Requests the server is serving now, the scrape asking included."""
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith("http_requests_in_flight "):
            return float(line.split()[1])
    raise AssertionError("http_requests_in_flight is not exported")


def test_no_overselling_under_50_concurrent_orders(server_db: str, tmp_path: Path) -> None:
    stock = 20
    server = _started(tmp_path, _env(server_db, DB_POOL_SIZE="20"))
    try:
        base = server.base_url
        admin = _token(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        r = httpx.post(
            f"{base}/products",
            headers=admin,
            json={"sku": "RACE-1", "name": "Scarce", "price_cents": 100, "stock": stock},
        )
        pid = r.json()["id"]
        users = [_token(base, f"user{i}@example.com", TEST_PASSWORD) for i in (1, 2, 3)]

        async def burst() -> list[httpx.Response]:
            async with httpx.AsyncClient(
                base_url=base, timeout=60, limits=httpx.Limits(max_connections=60)
            ) as c:
                return await asyncio.gather(
                    *(
                        c.post(
                            "/orders",
                            json={"items": [{"product_id": pid, "quantity": 1}]},
                            headers={**users[i % 3], "Idempotency-Key": f"race-{i:04d}"},
                        )
                        for i in range(50)
                    )
                )

        responses = asyncio.run(burst())
        codes = [r.status_code for r in responses]
        assert codes.count(201) == stock, codes
        assert codes.count(409) == 50 - stock, codes
        assert httpx.get(f"{base}/products/{pid}").json()["stock"] == 0

        # Fifty concurrent retries of one request create exactly one order.
        r = httpx.patch(f"{base}/products/{pid}", headers=admin, json={"stock": 5})

        async def retries() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=base, timeout=60) as c:
                return await asyncio.gather(
                    *(
                        c.post(
                            "/orders",
                            json={"items": [{"product_id": pid, "quantity": 1}]},
                            headers={**users[0], "Idempotency-Key": "same-key-0001"},
                        )
                        for _ in range(50)
                    )
                )

        same = asyncio.run(retries())
        assert {r.status_code for r in same} <= {200, 201}
        assert len({r.json()["id"] for r in same}) == 1
        assert httpx.get(f"{base}/products/{pid}").json()["stock"] == 4
    finally:
        server.stop()
