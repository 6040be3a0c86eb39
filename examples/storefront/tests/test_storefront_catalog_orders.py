"""Catalog and order workflows: pagination, admin-only writes, idempotency, stock, pay, cancel."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from storefront.testing import (
    ClientFactory,
    admin_headers,
    create_product,
    new_key,
    register_and_login,
)


def _metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def _order(
    client: TestClient, headers: dict[str, str], items: list[dict[str, int]], key: str | None = None
) -> httpx.Response:
    return client.post(
        "/orders", json={"items": items}, headers={**headers, "Idempotency-Key": key or new_key()}
    )


def test_catalog_pagination_and_get(client: TestClient) -> None:
    admin = admin_headers(client)
    ids = [create_product(client, admin, name=f"Item {i}")["id"] for i in range(5)]
    r = client.get("/products", params={"limit": 2, "offset": 2})
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 2
    assert [p["id"] for p in page["items"]] == ids[2:4]
    assert client.get(f"/products/{ids[0]}").json()["name"] == "Item 0"
    assert client.get("/products/999999").status_code == 404
    assert client.get("/products", params={"limit": 1000}).status_code == 422
    assert client.get("/products", params={"offset": -1}).status_code == 422


def test_admin_only_product_writes(client: TestClient) -> None:
    customer = register_and_login(client)["headers"]
    body = {"sku": "MUG-1", "name": "Mug", "price_cents": 900, "stock": 3}
    assert client.post("/products", json=body).status_code == 401
    r = client.post("/products", json=body, headers=customer)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    admin = admin_headers(client)
    r = client.post("/products", json=body, headers=admin)
    assert r.status_code == 201
    pid = r.json()["id"]
    assert client.post("/products", json=body, headers=admin).status_code == 409
    assert client.patch(f"/products/{pid}", json={"stock": 7}, headers=customer).status_code == 403
    r = client.patch(f"/products/{pid}", json={"stock": 7, "price_cents": 1000}, headers=admin)
    assert r.status_code == 200 and r.json()["stock"] == 7 and r.json()["price_cents"] == 1000
    # Validation: unknown fields, negative stock, over-long names.
    assert client.patch(f"/products/{pid}", json={"stock": -1}, headers=admin).status_code == 422
    assert client.patch(f"/products/{pid}", json={"owner": "x"}, headers=admin).status_code == 422
    r = client.post("/products", json={**body, "sku": "MUG-2", "name": "n" * 201}, headers=admin)
    assert r.status_code == 422
    # Deactivated products leave the catalog listing but stay readable (and cannot be ordered).
    client.patch(f"/products/{pid}", json={"active": False}, headers=admin)
    assert client.get(f"/products/{pid}").json()["active"] is False
    assert pid not in [p["id"] for p in client.get("/products").json()["items"]]
    user = register_and_login(client)
    r = client.post(
        "/orders",
        json={"items": [{"product_id": pid, "quantity": 1}]},
        headers={**user["headers"], "Idempotency-Key": "inactive-0001"},
    )
    assert r.status_code == 404


def test_create_order_reserves_stock_and_emits_event(client: TestClient) -> None:
    admin = admin_headers(client)
    product = create_product(client, admin, stock=5, price_cents=1250)
    user = register_and_login(client)
    before = _metric("storefront_orders_created_total")
    r = _order(client, user["headers"], [{"product_id": product["id"], "quantity": 2}])
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "pending" and order["total_cents"] == 2500
    assert order["items"][0]["unit_price_cents"] == 1250
    assert client.get(f"/products/{product['id']}").json()["stock"] == 3
    assert _metric("storefront_orders_created_total") == before + 1
    from sqlalchemy import select

    from storefront.models import OutboxEvent

    with client.app.state.ctx.sessions() as db:  # type: ignore[attr-defined]
        types = set(
            db.scalars(select(OutboxEvent.type).where(OutboxEvent.aggregate_id == order["id"]))
        )
    assert types == {"order.created"}


def test_idempotent_order_creation(client: TestClient) -> None:
    admin = admin_headers(client)
    product = create_product(client, admin, stock=10)
    user = register_and_login(client)
    items = [{"product_id": product["id"], "quantity": 3}]
    key = new_key()
    first = _order(client, user["headers"], items, key)
    retry = _order(client, user["headers"], items, key)
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert client.get(f"/products/{product['id']}").json()["stock"] == 7  # reserved once
    assert client.get("/orders", headers=user["headers"]).json()["total"] == 1
    # Same key, different body: refuse rather than guess.
    r = _order(client, user["headers"], [{"product_id": product["id"], "quantity": 1}], key)
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_key_reused"
    # Keys are per user: another user may use the same key.
    other = register_and_login(client)
    assert _order(client, other["headers"], items, key).status_code == 201


def test_order_requires_valid_idempotency_key(client: TestClient) -> None:
    admin = admin_headers(client)
    product = create_product(client, admin)
    user = register_and_login(client)
    items = {"items": [{"product_id": product["id"], "quantity": 1}]}
    assert client.post("/orders", json=items, headers=user["headers"]).status_code == 422
    for bad in ("short", "has spaces in it", "x" * 129):
        r = client.post("/orders", json=items, headers={**user["headers"], "Idempotency-Key": bad})
        assert r.status_code == 422, bad


def test_order_validation_and_stock_limits(client: TestClient) -> None:
    admin = admin_headers(client)
    product = create_product(client, admin, stock=2)
    user = register_and_login(client)
    h = user["headers"]
    assert _order(client, h, []).status_code == 422
    assert _order(client, h, [{"product_id": product["id"], "quantity": 0}]).status_code == 422
    assert _order(client, h, [{"product_id": product["id"], "quantity": 101}]).status_code == 422
    r = _order(client, h, [{"product_id": product["id"], "quantity": 1, "price_cents": 1}])
    assert r.status_code == 422  # no client-chosen prices
    r = _order(client, h, [{"product_id": 999999, "quantity": 1}])
    assert r.status_code == 404
    r = _order(client, h, [{"product_id": product["id"], "quantity": 3}])
    assert r.status_code == 409 and r.json()["error"]["code"] == "insufficient_stock"
    assert client.get(f"/products/{product['id']}").json()["stock"] == 2
    # Two lines of the same product add up.
    r = _order(client, h, [{"product_id": product["id"], "quantity": 1}] * 3)
    assert r.status_code == 409


def test_multi_line_order_is_all_or_nothing(client: TestClient) -> None:
    admin = admin_headers(client)
    plenty = create_product(client, admin, stock=10)
    scarce = create_product(client, admin, stock=1)
    user = register_and_login(client)
    r = _order(
        client,
        user["headers"],
        [{"product_id": plenty["id"], "quantity": 2}, {"product_id": scarce["id"], "quantity": 2}],
    )
    assert r.status_code == 409
    assert client.get(f"/products/{plenty['id']}").json()["stock"] == 10


def test_pay_order(client: TestClient) -> None:
    admin = admin_headers(client)
    product = create_product(client, admin, stock=5, price_cents=1999)
    user = register_and_login(client)
    order = _order(client, user["headers"], [{"product_id": product["id"], "quantity": 2}]).json()
    paid_before = _metric("storefront_orders_paid_total")
    revenue_before = _metric("storefront_revenue_total")
    r = client.post(f"/orders/{order['id']}/pay", headers=user["headers"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paid" and r.json()["payment_ref"].startswith("pay_")
    assert _metric("storefront_orders_paid_total") == paid_before + 1
    assert abs(_metric("storefront_revenue_total") - revenue_before - 39.98) < 1e-6
    again = client.post(f"/orders/{order['id']}/pay", headers=user["headers"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_paid"
    # A paid order cannot be cancelled.
    assert client.post(f"/orders/{order['id']}/cancel", headers=user["headers"]).status_code == 409


def test_payment_declined_keeps_order_pending(make_client: ClientFactory) -> None:
    client = make_client(payment_failure_rate=1.0)
    admin = admin_headers(client)
    product = create_product(client, admin)
    user = register_and_login(client)
    order = _order(client, user["headers"], [{"product_id": product["id"], "quantity": 1}]).json()
    r = client.post(f"/orders/{order['id']}/pay", headers=user["headers"])
    assert r.status_code == 402 and r.json()["error"]["code"] == "payment_declined"
    got = client.get(f"/orders/{order['id']}", headers=user["headers"]).json()
    assert got["status"] == "pending"


def test_cancel_restocks(client: TestClient) -> None:
    admin = admin_headers(client)
    product = create_product(client, admin, stock=4)
    user = register_and_login(client)
    order = _order(client, user["headers"], [{"product_id": product["id"], "quantity": 3}]).json()
    assert client.get(f"/products/{product['id']}").json()["stock"] == 1
    r = client.post(f"/orders/{order['id']}/cancel", headers=user["headers"])
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.get(f"/products/{product['id']}").json()["stock"] == 4
    again = client.post(f"/orders/{order['id']}/cancel", headers=user["headers"])
    assert again.status_code == 409
    assert client.post(f"/orders/{order['id']}/pay", headers=user["headers"]).status_code == 409


def test_orders_are_private(client: TestClient) -> None:
    admin = admin_headers(client)
    product = create_product(client, admin)
    alice = register_and_login(client)
    bob = register_and_login(client)
    order = _order(client, alice["headers"], [{"product_id": product["id"], "quantity": 1}]).json()
    for method, path in (
        ("GET", f"/orders/{order['id']}"),
        ("POST", f"/orders/{order['id']}/pay"),
        ("POST", f"/orders/{order['id']}/cancel"),
    ):
        assert client.request(method, path, headers=bob["headers"]).status_code == 404
    assert client.get("/orders", headers=bob["headers"]).json()["total"] == 0
    mine = client.get("/orders", headers=alice["headers"]).json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == order["id"]
