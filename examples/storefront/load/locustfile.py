"""storefront's load scenario for golive (``load.test``, ``load.capacity``, ``db.queries``).

A shopper session, weighted like real traffic: browse 70%, log in 10%, order 15%, pay 5%.
Every virtual user registers its own account on start (so the per-account login limit and
order ownership behave as in production) and works on the products the shop lists.
"""

from __future__ import annotations

import random
import uuid

from locust import FastHttpUser, between, task

PASSWORD = "load-test-" + uuid.uuid4().hex[:12]


class Shopper(FastHttpUser):
    """One shopper: browse, log in again now and then, order, pay a pending order."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        """Register, log in, learn the catalogue."""
        self.email = f"load-{uuid.uuid4().hex[:16]}@example.com"
        self.token = ""
        self.pending: list[str] = []
        self.client.post(
            "/auth/register",
            json={"email": self.email, "password": PASSWORD, "name": "Load Shopper"},
            name="register",
        )
        self.login()
        page = self.client.get("/products?limit=100", name="browse: list").json()
        self.products = [p["id"] for p in page.get("items", []) if p.get("stock", 1) > 0] or [1]

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @task(10)
    def login(self) -> None:
        """Log in (10%): argon2 verification, the most CPU-heavy request."""
        resp = self.client.post(
            "/auth/login", json={"email": self.email, "password": PASSWORD}, name="login"
        )
        if resp.status_code == 200:
            self.token = resp.json()["access_token"]

    @task(70)
    def browse(self) -> None:
        """Browse (70%): a catalogue page, or one product."""
        if random.random() < 0.5:
            self.client.get(
                f"/products?limit=20&offset={random.randrange(0, 40)}", name="browse: list"
            )
        else:
            self.client.get(f"/products/{random.choice(self.products)}", name="browse: product")

    @task(15)
    def order(self) -> None:
        """Order (15%): one or two products, with an idempotency key."""
        items = [
            {"product_id": pid, "quantity": 1}
            for pid in random.sample(self.products, k=min(2, len(self.products)))
        ]
        resp = self.client.post(
            "/orders",
            json={"items": items},
            headers={**self._auth(), "Idempotency-Key": uuid.uuid4().hex},
            name="order",
        )
        if resp.status_code == 201:
            self.pending.append(resp.json()["id"])

    @task(5)
    def pay(self) -> None:
        """Pay (5%) the oldest pending order of this shopper."""
        if not self.pending:
            return
        order_id = self.pending.pop(0)
        self.client.post(f"/orders/{order_id}/pay", headers=self._auth(), name="pay")
