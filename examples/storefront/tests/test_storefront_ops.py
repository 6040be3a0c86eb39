"""Operability and security controls: probes, metrics, logs, headers, limits, faults, errors."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from storefront.testing import (
    ClientFactory,
    admin_headers,
    create_product,
    new_key,
    register_and_login,
    tcp_reachable,
    unique_email,
)


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"database": True, "events": True}


def test_readyz_503_when_a_dependency_is_down(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = client.app.state.ctx  # type: ignore[attr-defined]

    async def not_ready() -> bool:
        return False

    monkeypatch.setattr(ctx.transport, "ready", not_ready)
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["events"] is False
    assert client.get("/healthz").status_code == 200  # liveness is independent


def test_readyz_503_when_database_is_unreachable(make_client: ClientFactory) -> None:
    c = make_client(
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/none",
        auto_migrate=False,
        dispatcher_enabled=False,
        db_pool_timeout_seconds=1,
    )
    r = c.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["database"] is False
    r = c.get("/products")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    assert "psycopg" not in r.text and "SELECT" not in r.text and "Traceback" not in r.text


def test_metrics_exposition(client: TestClient) -> None:
    admin = admin_headers(client)
    product = create_product(client, admin)
    client.get(f"/products/{product['id']}")
    client.get("/products/424242")
    text = client.get("/metrics").text
    for name in (
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "http_requests_in_flight",
        "storefront_db_pool_size",
        "storefront_db_pool_checked_out",
        "storefront_outbox_lag_seconds",
        "storefront_outbox_pending",
        "storefront_orders_created_total",
        "storefront_orders_paid_total",
        "storefront_revenue_total",
        "storefront_build_info",
    ):
        assert f"\n{name}" in text or text.startswith(name), name
    # Route templates, never raw ids, as labels.
    assert 'route="/products/{product_id}"' in text
    assert f'/products/{product["id"]}"' not in text and "424242" not in text
    assert 'storefront_build_info{build_sha="unknown",version="0.1.0"} 1.0' in text


def test_unmatched_routes_share_one_label(client: TestClient) -> None:
    for i in range(3):
        assert client.get(f"/no/such/path/{i}").status_code == 404
    text = client.get("/metrics").text
    assert 'route="<unmatched>"' in text and "/no/such/path" not in text


def test_request_id_propagation_and_json_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    from storefront.logging_setup import JsonFormatter

    with caplog.at_level(logging.INFO, logger="storefront.access"):
        r = client.get("/products", headers={"X-Request-ID": "req-abc.123"})
    assert r.headers["x-request-id"] == "req-abc.123"
    records = [rec for rec in caplog.records if rec.name == "storefront.access"]
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["request_id"] == "req-abc.123"
    assert line["route"] == "/products" and line["status"] == 200 and line["method"] == "GET"
    # Unsafe ids are replaced, never reflected.
    r = client.get("/healthz", headers={"X-Request-ID": "bad id<script>"})
    assert "<" not in r.headers["x-request-id"] and len(r.headers["x-request-id"]) == 32


def test_json_formatter_includes_request_id() -> None:
    from storefront.logging_setup import JsonFormatter, request_id_var

    token = request_id_var.set("rid-1")
    try:
        rec = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        rec.user_id = "u1"
        data = json.loads(JsonFormatter().format(rec))
    finally:
        request_id_var.reset(token)
    assert (
        data["msg"] == "hello world" and data["request_id"] == "rid-1" and data["user_id"] == "u1"
    )


def test_passwords_and_tokens_are_not_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        tokens = register_and_login(client)
        client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    logged = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert "correct-horse-battery" not in logged
    assert tokens["refresh_token"] not in logged and tokens["access_token"] not in logged


def test_security_headers(client: TestClient) -> None:
    for path in ("/products", "/ui/", "/healthz", "/nope"):
        h = client.get(path).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["strict-transport-security"].startswith("max-age=")
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert "server" not in h or "uvicorn" not in h["server"]


def test_cors_allow_list(make_client: ClientFactory) -> None:
    c = make_client(cors_allow_origins="https://shop.example.com")
    ok = c.options(
        "/products",
        headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "GET"},
    )
    assert ok.headers.get("access-control-allow-origin") == "https://shop.example.com"
    bad = c.options(
        "/products",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in bad.headers
    r = c.get("/products", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_no_internals_in_errors(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from storefront.services import catalog

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("SELECT secret FROM internals -- /srv/app/storefront.py line 42")

    monkeypatch.setattr(catalog, "list_products", boom)
    r = client.get("/products", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500
    assert r.json() == {
        "error": {
            "code": "internal_error",
            "message": "Internal server error",
            "request_id": "boom-1",
        }
    }
    assert r.headers["x-request-id"] == "boom-1"
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/products",status="500"}' in text


def test_method_not_allowed_and_bad_json_are_json(client: TestClient) -> None:
    r = client.delete("/products")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = client.post(
        "/auth/register", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and "error" in r.json()


def test_body_size_limit(make_client: ClientFactory) -> None:
    c = make_client(max_body_bytes=2048)
    r = c.post(
        "/auth/register",
        content=b"{" + b" " * 5000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_rate_limit_per_ip(make_client: ClientFactory) -> None:
    c = make_client(rate_limit_ip="5/minute")
    codes = [c.get("/products").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    r = c.get("/products")
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    assert c.get("/healthz").status_code == 200  # probes are exempt
    assert c.get("/metrics").status_code == 200


def test_rate_limit_per_user(make_client: ClientFactory) -> None:
    c = make_client(rate_limit_user="3/minute")
    user = register_and_login(c)
    codes = [c.get("/orders", headers=user["headers"]).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    other = register_and_login(c)  # a different user is unaffected
    assert c.get("/orders", headers=other["headers"]).status_code == 200


def test_login_attempts_limited_per_account(make_client: ClientFactory) -> None:
    c = make_client(rate_limit_login="3/minute")
    email = unique_email()
    codes = [
        c.post("/auth/login", json={"email": email, "password": "wrong-password"}).status_code
        for _ in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]
    r = c.post("/auth/login", json={"email": email, "password": "wrong-password"})
    assert "retry-after" in r.headers


@pytest.mark.redis
@pytest.mark.skipif(not tcp_reachable("127.0.0.1", 6379), reason="Redis is not reachable")
def test_rate_limit_shared_through_redis(make_client: ClientFactory) -> None:
    import secrets

    import redis

    prefix = "sftest_rl_" + secrets.token_hex(4)
    opts = {
        "redis_url": "redis://127.0.0.1:6379/0",
        "rate_limit_ip": "4/minute",
        "rate_limit_key_prefix": prefix,
    }
    a = make_client(**opts)
    b = make_client(**opts)
    codes = [(a if i % 2 else b).get("/products").status_code for i in range(6)]
    assert codes.count(200) == 4 and codes.count(429) == 2
    assert b.get("/readyz").json()["checks"]["redis"] is True
    r = redis.Redis(host="127.0.0.1", port=6379)
    for key in r.scan_iter(f"{prefix}*"):
        r.delete(key)
    r.close()


def test_version_endpoint(make_client: ClientFactory) -> None:
    c = make_client(app_version="2.3.4", build_sha="abc123")
    v = c.get("/version").json()
    assert v["version"] == "2.3.4" and v["build_sha"] == "abc123" and v["name"] == "storefront"
    assert 'storefront_build_info{build_sha="abc123",version="2.3.4"} 1.0' in c.get("/metrics").text


def test_fault_endpoints_absent_by_default(client: TestClient) -> None:
    admin = admin_headers(client)
    for method in ("GET", "POST", "DELETE"):
        assert client.request(method, "/admin/faults", headers=admin).status_code in (404, 405)
    assert client.get("/admin/faults").status_code == 404
    assert "/admin/faults" not in client.get("/openapi.json").json()["paths"]


def test_fault_injection_admin_controls(make_client: ClientFactory) -> None:
    c = make_client(fault_injection_enabled=True)
    admin = admin_headers(c)
    customer = register_and_login(c)
    assert c.post("/admin/faults", json={"error_rate": 1.0}).status_code == 401
    assert (
        c.post("/admin/faults", json={"error_rate": 1.0}, headers=customer["headers"]).status_code
        == 403
    )
    assert c.post("/admin/faults", json={"error_rate": 2.0}, headers=admin).status_code == 422
    r = c.post("/admin/faults", json={"error_rate": 1.0, "latency_ms": 50}, headers=admin)
    assert r.status_code == 200 and r.json() == {
        "enabled": True,
        "error_rate": 1.0,
        "latency_ms": 50,
    }
    r = c.get("/products")
    assert r.status_code == 500 and r.json()["error"]["code"] == "injected_fault"
    for probe in ("/healthz", "/readyz", "/metrics", "/version"):
        assert c.get(probe).status_code == 200, probe
    assert c.delete("/admin/faults", headers=admin).json()["error_rate"] == 0.0
    assert c.get("/products").status_code == 200


def test_fault_injection_from_environment(make_client: ClientFactory) -> None:
    c = make_client(fault_error_rate=1.0)
    assert c.get("/products").status_code == 500
    assert c.get("/healthz").status_code == 200
    text = c.get("/metrics").text
    assert 'storefront_faults_injected_total{kind="error"}' in text


def test_openapi_marks_secured_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Access token (JWT) from POST /auth/login or /auth/refresh.",
    }
    secured = {
        ("post", "/orders"),
        ("get", "/orders"),
        ("get", "/auth/me"),
        ("post", "/products"),
        ("patch", "/products/{product_id}"),
        ("post", "/orders/{order_id}/pay"),
        ("post", "/auth/logout"),
    }
    public = {
        ("get", "/products"),
        ("get", "/products/{product_id}"),
        ("post", "/auth/login"),
        ("post", "/auth/register"),
        ("get", "/healthz"),
    }
    for method, path in secured:
        assert spec["paths"][path][method].get("security") == [{"bearerAuth": []}], (method, path)
    for method, path in public:
        assert "security" not in spec["paths"][path][method], (method, path)
    assert not any(p.startswith("/ui") for p in spec["paths"])
    headers = spec["paths"]["/orders"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in headers)


def test_order_flow_metrics_count_business_events(client: TestClient) -> None:
    admin = admin_headers(client)
    product = create_product(client, admin, price_cents=500)
    user = register_and_login(client)
    r = client.post(
        "/orders",
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
        headers={**user["headers"], "Idempotency-Key": new_key()},
    )
    client.post(f"/orders/{r.json()['id']}/pay", headers=user["headers"])
    text = client.get("/metrics").text
    assert "storefront_orders_paid_total" in text and "storefront_revenue_total" in text


def test_contract_edge_cases(client: TestClient) -> None:
    """Regressions found by fuzzing the OpenAPI contract (schemathesis)."""
    admin = admin_headers(client)
    user = register_and_login(client)
    # Timestamps are RFC 3339 with an offset on every backend.
    created_at = client.get("/auth/me", headers=user["headers"]).json()["created_at"]
    assert created_at.endswith("+00:00") or created_at.endswith("Z")
    # Out-of-range integers are validation errors, not database overflows.
    assert client.get(f"/products/{2**63}").status_code == 422
    assert (
        client.get("/orders", params={"offset": 2**63}, headers=user["headers"]).status_code == 422
    )
    r = client.post(
        "/orders",
        json={"items": [{"product_id": 2**63, "quantity": 1}]},
        headers={**user["headers"], "Idempotency-Key": "overflow-0001"},
    )
    assert r.status_code == 422
    # Booleans are not numbers, numbers are not booleans, null is not "absent".
    product = create_product(client, admin)
    for patch in ({"stock": False}, {"active": 0}, {"name": None}, {"name": "   "}):
        r = client.patch(f"/products/{product['id']}", json=patch, headers=admin)
        assert r.status_code == 422, patch
    # Undecodable bodies are 422 like every other invalid input.
    r = client.post(
        "/auth/register", content=b"\xff\xfe\x00", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    # 405 lists every method served at the path.
    r = client.put("/products")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
