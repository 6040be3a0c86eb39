"""storefront's staging stack: up on free ports, the WAF in front, down leaving nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.staging import leftovers, staging_stack

pytestmark = [pytest.mark.staging, pytest.mark.slow]

SQLI = "1' OR '1'='1' UNION SELECT password FROM users--"


def test_stack_serves_through_the_waf_and_goes_away_completely() -> None:
    with staging_stack() as stack:
        assert stack.base_url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=stack.base_url, timeout=10) as client:
            assert client.get("/healthz").status_code == 200
            products = client.get("/products")
            assert products.status_code == 200
            assert products.json()["items"], "the migration job seeded no products"
            blocked = client.get("/products", params={"q": SQLI})
            assert blocked.status_code == 403, blocked.text[:200]
        assert leftovers(stack.project), "the running stack has no labelled containers"
    assert leftovers(stack.project) == []
