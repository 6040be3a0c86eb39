"""Critical API flows over real HTTP against the running server."""

from __future__ import annotations

import secrets
import time
import uuid

import httpx
import pytest

from storefront.testing import Shop

PASSWORD = "e2e-api-password-1"  # test-only credential

pytestmark = pytest.mark.e2e


def _user(shop: Shop) -> dict[str, str]:
    email = f"api-{secrets.token_hex(5)}@example.com"
    r = httpx.post(
        f"{shop.url}/auth/register", json={"email": email, "password": PASSWORD, "name": "Api User"}
    )
    assert r.status_code == 201, r.text
    r = httpx.post(f"{shop.url}/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"email": email, **r.json()}


def _auth(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.mark.critical
def test_api_auth_lifecycle(shop: Shop) -> None:
    user = _user(shop)
    assert httpx.get(f"{shop.url}/auth/me", headers=_auth(user)).json()["email"] == user["email"]
    r = httpx.post(f"{shop.url}/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert r.status_code == 200
    rotated = r.json()
    reuse = httpx.post(f"{shop.url}/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["error"]["code"] == "token_reused"
    assert httpx.get(f"{shop.url}/auth/me", headers=_auth(rotated)).status_code == 401
    fresh = httpx.post(
        f"{shop.url}/auth/login", json={"email": user["email"], "password": PASSWORD}
    ).json()
    assert httpx.post(f"{shop.url}/auth/logout", headers=_auth(fresh)).status_code == 204
    assert httpx.get(f"{shop.url}/auth/me", headers=_auth(fresh)).status_code == 401


@pytest.mark.critical
def test_api_order_pay_and_cancel(shop: Shop) -> None:
    product = shop.create_product(f"API Mug {secrets.token_hex(3)}", stock=5, price_cents=700)
    user = _user(shop)
    headers = {**_auth(user), "Idempotency-Key": uuid.uuid4().hex}
    body = {"items": [{"product_id": product["id"], "quantity": 2}]}
    first = httpx.post(f"{shop.url}/orders", json=body, headers=headers)
    again = httpx.post(f"{shop.url}/orders", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    order_id = first.json()["id"]
    paid = httpx.post(f"{shop.url}/orders/{order_id}/pay", headers=_auth(user))
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    second = httpx.post(
        f"{shop.url}/orders",
        json=body,
        headers={**_auth(user), "Idempotency-Key": uuid.uuid4().hex},
    ).json()
    cancelled = httpx.post(f"{shop.url}/orders/{second['id']}/cancel", headers=_auth(user))
    assert cancelled.json()["status"] == "cancelled"
    listed = httpx.get(f"{shop.url}/orders", headers=_auth(user)).json()
    assert {o["status"] for o in listed["items"]} == {"paid", "cancelled"}
    assert httpx.get(f"{shop.url}/products/{product['id']}").json()["stock"] == 3


@pytest.mark.critical
def test_api_rejects_missing_and_forged_tokens(shop: Shop) -> None:
    for headers in ({}, {"Authorization": "Bearer forged.token.value"}):
        r = httpx.get(f"{shop.url}/orders", headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"]
    customer = _user(shop)
    r = httpx.post(
        f"{shop.url}/products",
        headers=_auth(customer),
        json={"sku": "NOPE-1", "name": "x", "price_cents": 1},
    )
    assert r.status_code == 403


@pytest.mark.critical
def test_api_events_reach_consumers(shop: Shop) -> None:
    user = _user(shop)
    notes: list[dict[str, str]] = []
    for _ in range(50):
        notes = httpx.get(f"{shop.url}/notifications", headers=_auth(user)).json()
        if notes:
            break
        time.sleep(0.1)
    assert [n["event_type"] for n in notes] == ["user.registered"]


@pytest.mark.critical
def test_api_operational_endpoints(shop: Shop) -> None:
    assert httpx.get(f"{shop.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{shop.url}/readyz").status_code == 200
    assert httpx.get(f"{shop.url}/version").json()["version"]
    metrics = httpx.get(f"{shop.url}/metrics").text
    assert "http_requests_total" in metrics and "storefront_outbox_lag_seconds" in metrics
    spec = httpx.get(f"{shop.url}/openapi.json").json()
    assert "bearerAuth" in spec["components"]["securitySchemes"]


@pytest.mark.critical
def test_api_login_rate_limit(shop: Shop) -> None:
    email = f"limited-{secrets.token_hex(4)}@example.com"
    codes = [
        httpx.post(
            f"{shop.url}/auth/login", json={"email": email, "password": "wrong-password"}
        ).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    r = httpx.post(f"{shop.url}/auth/login", json={"email": email, "password": "x"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


@pytest.mark.critical
def test_api_validation_errors(shop: Shop) -> None:
    r = httpx.post(
        f"{shop.url}/auth/register",
        json={"email": "x@example.com", "password": "short", "name": "x", "admin": True},
    )
    assert r.status_code == 422
    locs = {tuple(d["loc"]) for d in r.json()["error"]["details"]}
    assert ("body", "password") in locs and ("body", "admin") in locs
