"""Critical user journeys in a real (headless) Chromium."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from playwright.sync_api import Page, expect

from storefront.testing import Shop, wait_for

PASSWORD = "e2e-password-123"  # test-only credential

pytestmark = pytest.mark.e2e


def _email() -> str:
    return f"shopper-{secrets.token_hex(5)}@example.com"


def register(page: Page, url: str, name: str = "Erika Shopper") -> str:
    """Create an account through the UI; ends signed in on the catalog."""
    email = _email()
    page.goto(f"{url}/ui/register")
    page.get_by_test_id("name").fill(name)
    page.get_by_test_id("email").fill(email)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("current-user")).to_have_text(name)
    return email


def sign_in(page: Page, url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form."""
    page.goto(f"{url}/ui/login")
    page.get_by_test_id("email").fill(email)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("login-submit").click()


def wait_until_expired(page: Page, url: str, timeout: float = 10.0) -> None:
    """Wait until the API refuses the page's access token as expired (the TTL is 1 s).

    Polled through the API with the cookie's token, never through the page: a page load would
    refresh the token, which is what the tests then check.
    """
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "sf_access")

    def expired() -> bool:
        r = httpx.get(f"{url}/auth/me", headers={"Authorization": f"Bearer {token}"})
        return r.status_code == 401 and r.json()["error"]["code"] == "token_expired"

    wait_for(expired, timeout=timeout, interval=0.1)


def add_to_cart(page: Page, url: str, product_name: str, quantity: int = 1) -> None:
    """Find a product by name and add it to the cart."""
    page.goto(f"{url}/ui/?q={product_name}")
    card = page.get_by_test_id("product").filter(has_text=product_name)
    card.get_by_test_id("quantity").fill(str(quantity))
    card.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("flash")).to_have_text("Added to your cart.")


def checkout(page: Page, url: str) -> None:
    """Place the order from the cart page."""
    page.goto(f"{url}/ui/cart")
    page.get_by_test_id("checkout").click()
    expect(page.get_by_test_id("flash")).to_have_text("Thank you! Your order has been placed.")


@pytest.mark.critical
def test_browse_catalog(page: Page, shop: Shop) -> None:
    page.goto(f"{shop.url}/")
    expect(page).to_have_title(re.compile("Catalog"))
    expect(page.get_by_test_id("product")).to_have_count(12)
    expect(page.get_by_test_id("page-info")).to_contain_text("Page 1 of")
    page.get_by_test_id("next-page").click()
    expect(page.get_by_test_id("page-info")).to_contain_text("Page 2 of")
    expect(page.get_by_test_id("prev-page")).to_be_visible()


@pytest.mark.critical
def test_search_catalog(page: Page, shop: Shop) -> None:
    name = f"Findable Lamp {secrets.token_hex(3)}"
    shop.create_product(name)
    page.goto(f"{shop.url}/ui/")
    page.get_by_test_id("search").fill(name)
    page.get_by_test_id("search-submit").click()
    expect(page.get_by_test_id("product")).to_have_count(1)
    expect(page.get_by_test_id("product-name")).to_have_text(name)


@pytest.mark.critical
def test_register_signs_in(page: Page, shop: Shop) -> None:
    register(page, shop.url, "Rita Register")
    expect(page.get_by_test_id("flash")).to_have_text("Welcome! Your account has been created.")


@pytest.mark.critical
def test_login_and_logout(page: Page, shop: Shop, browser: object) -> None:
    email = register(page, shop.url, "Lou Login")
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("flash")).to_have_text("You have been signed out.")
    expect(page.get_by_test_id("nav-login")).to_be_visible()
    sign_in(page, shop.url, email)
    expect(page.get_by_test_id("current-user")).to_have_text("Lou Login")
    # After logout the old session cookies are useless even if replayed.
    cookies = page.context.cookies()
    page.get_by_test_id("logout").click()
    page.context.add_cookies(cookies)  # type: ignore[arg-type]
    page.goto(f"{shop.url}/ui/orders")
    expect(page).to_have_url(re.compile(r"/ui/login"))


@pytest.mark.critical
def test_login_wrong_password_shows_error(page: Page, shop: Shop) -> None:
    email = register(page, shop.url)
    page.get_by_test_id("logout").click()
    sign_in(page, shop.url, email, "not-my-password")
    expect(page.get_by_test_id("form-error")).to_have_text("Invalid email or password")
    expect(page.get_by_test_id("email")).to_have_value(email)
    expect(page.get_by_test_id("password")).to_have_value("")  # never echoed back


@pytest.mark.critical
def test_login_form_validation(page: Page, shop: Shop) -> None:
    page.goto(f"{shop.url}/ui/login")
    page.get_by_test_id("login-submit").click()  # both fields empty
    expect(page.get_by_test_id("error-email")).to_contain_text("at least 1 character")
    expect(page.get_by_test_id("error-password")).to_be_visible()


@pytest.mark.critical
def test_register_form_validation(page: Page, shop: Shop) -> None:
    page.goto(f"{shop.url}/ui/register")
    page.get_by_test_id("name").fill("Val Idation")
    page.get_by_test_id("email").fill("broken@")
    page.get_by_test_id("password").fill("short")
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("error-email")).to_be_visible()
    expect(page.get_by_test_id("error-password")).to_contain_text("at least 10 characters")
    expect(page.get_by_test_id("name")).to_have_value("Val Idation")
    expect(page.get_by_test_id("nav-login")).to_be_visible()


@pytest.mark.critical
def test_register_duplicate_email(page: Page, shop: Shop) -> None:
    email = register(page, shop.url)
    page.get_by_test_id("logout").click()
    page.goto(f"{shop.url}/ui/register")
    page.get_by_test_id("name").fill("Copy Cat")
    page.get_by_test_id("email").fill(email)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("error-email")).to_have_text(
        "An account with this email already exists"
    )


@pytest.mark.critical
def test_order_requires_login_then_returns(page: Page, shop: Shop) -> None:
    page.goto(f"{shop.url}/ui/orders")
    expect(page).to_have_url(re.compile(r"/ui/login\?msg=login_required&next=/ui/orders"))
    expect(page.get_by_test_id("flash")).to_have_text("Please sign in to continue.")
    email = _email()
    httpx.post(
        f"{shop.url}/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Nina Next"},
    )
    page.get_by_test_id("email").fill(email)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(f"{shop.url}/ui/orders")
    expect(page.get_by_test_id("no-orders")).to_be_visible()


@pytest.mark.critical
def test_cart_and_checkout(page: Page, shop: Shop) -> None:
    name = f"Checkout Mug {secrets.token_hex(3)}"
    product = shop.create_product(name, stock=10, price_cents=1250)
    register(page, shop.url)
    add_to_cart(page, shop.url, name, quantity=2)
    page.goto(f"{shop.url}/ui/cart")
    expect(page.get_by_test_id("cart-qty")).to_have_text("2")
    expect(page.get_by_test_id("cart-total")).to_have_text("25.00 €")
    checkout(page, shop.url)
    order = page.get_by_test_id("order").first
    expect(order.get_by_test_id("order-status")).to_have_text("pending")
    expect(order.get_by_test_id("order-total")).to_have_text("25.00 €")
    stock = httpx.get(f"{shop.url}/products/{product['id']}").json()["stock"]
    assert stock == 8
    page.goto(f"{shop.url}/ui/cart")
    expect(page.get_by_test_id("empty-cart")).to_be_visible()


@pytest.mark.critical
def test_pay_order(page: Page, shop: Shop) -> None:
    name = f"Pay Lamp {secrets.token_hex(3)}"
    shop.create_product(name)
    register(page, shop.url)
    add_to_cart(page, shop.url, name)
    checkout(page, shop.url)
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("flash")).to_have_text("Payment successful.")
    expect(page.get_by_test_id("order-status").first).to_have_text("paid")
    expect(page.get_by_test_id("pay")).to_have_count(0)


@pytest.mark.critical
def test_cancel_order_restocks(page: Page, shop: Shop) -> None:
    name = f"Cancel Scarf {secrets.token_hex(3)}"
    product = shop.create_product(name, stock=3)
    register(page, shop.url)
    add_to_cart(page, shop.url, name, quantity=3)
    checkout(page, shop.url)
    page.goto(f"{shop.url}/ui/?q={name}")
    expect(page.get_by_test_id("product-stock")).to_have_text("Out of stock")
    page.goto(f"{shop.url}/ui/orders")
    page.get_by_test_id("cancel").click()
    expect(page.get_by_test_id("flash")).to_have_text("Your order has been cancelled.")
    expect(page.get_by_test_id("order-status").first).to_have_text("cancelled")
    assert httpx.get(f"{shop.url}/products/{product['id']}").json()["stock"] == 3


@pytest.mark.critical
def test_out_of_stock_message(page: Page, shop: Shop) -> None:
    name = f"Rare Teapot {secrets.token_hex(3)}"
    shop.create_product(name, stock=1)
    register(page, shop.url)
    add_to_cart(page, shop.url, name, quantity=2)
    page.goto(f"{shop.url}/ui/cart")
    page.get_by_test_id("checkout").click()
    expect(page.get_by_test_id("flash")).to_have_text(
        "Sorry, some items are no longer available in that quantity."
    )


@pytest.mark.critical
def test_resubmitted_checkout_creates_one_order(page: Page, shop: Shop) -> None:
    name = f"Double Click Pot {secrets.token_hex(3)}"
    shop.create_product(name, stock=10)
    register(page, shop.url)
    add_to_cart(page, shop.url, name)
    page.goto(f"{shop.url}/ui/cart")
    key = page.locator("input[name=idempotency_key]").get_attribute("value")
    origin = {"Origin": shop.url}
    for _ in range(2):  # the same form posted twice (double click, resend after timeout)
        r = page.request.post(
            f"{shop.url}/ui/checkout", form={"idempotency_key": key or ""}, headers=origin
        )
        assert r.ok
    page.goto(f"{shop.url}/ui/orders")
    expect(page.get_by_test_id("order")).to_have_count(1)


@pytest.mark.critical
def test_token_refresh_is_transparent(page: Page, short_ttl_shop: Shop) -> None:
    register(page, short_ttl_shop.url, "Ray Refresh")
    before = {c["name"]: c["value"] for c in page.context.cookies()}
    wait_until_expired(page, short_ttl_shop.url)
    page.goto(f"{short_ttl_shop.url}/ui/orders")
    expect(page.get_by_test_id("current-user")).to_have_text("Ray Refresh")
    after = {c["name"]: c["value"] for c in page.context.cookies()}
    assert after["sf_access"] != before["sf_access"]
    assert after["sf_refresh"] != before["sf_refresh"]  # rotated


@pytest.mark.critical
def test_session_expiry_redirects_to_login(page: Page, short_ttl_shop: Shop) -> None:
    register(page, short_ttl_shop.url)
    page.context.clear_cookies(name="sf_refresh")
    wait_until_expired(page, short_ttl_shop.url)
    page.goto(f"{short_ttl_shop.url}/ui/orders")
    expect(page).to_have_url(re.compile(r"/ui/login\?msg=expired"))
    expect(page.get_by_test_id("flash")).to_have_text(
        "Your session has expired. Please sign in again."
    )


@pytest.mark.critical
def test_stolen_refresh_cookie_reuse_ends_session(page: Page, short_ttl_shop: Shop) -> None:
    register(page, short_ttl_shop.url)
    stolen = [c for c in page.context.cookies() if c["name"] == "sf_refresh"]
    wait_until_expired(page, short_ttl_shop.url)
    page.goto(f"{short_ttl_shop.url}/ui/orders")  # legitimate refresh rotates the token
    expect(page.get_by_test_id("current-user")).to_be_visible()
    # The attacker replays the old refresh token: the whole session family is revoked.
    attacker = page.context.browser.new_context()  # type: ignore[union-attr]
    attacker.add_cookies(stolen)  # type: ignore[arg-type]
    attacker_page = attacker.new_page()
    attacker_page.goto(f"{short_ttl_shop.url}/ui/orders")
    expect(attacker_page).to_have_url(re.compile(r"/ui/login"))
    attacker.close()
    wait_until_expired(page, short_ttl_shop.url)
    page.goto(f"{short_ttl_shop.url}/ui/orders")
    expect(page).to_have_url(re.compile(r"/ui/login\?msg=expired"))


@pytest.mark.critical
def test_login_rate_limit_message(page: Page, shop: Shop) -> None:
    email = _email()
    for _ in range(5):
        sign_in(page, shop.url, email, "wrong-password-1")
        expect(page.get_by_test_id("form-error")).to_have_text("Invalid email or password")
    sign_in(page, shop.url, email, "wrong-password-1")
    expect(page.get_by_test_id("form-error")).to_contain_text("Too many login attempts")


@pytest.mark.critical
def test_output_is_encoded(page: Page, shop: Shop) -> None:
    marker = secrets.token_hex(3)
    name = f'<img src=x onerror="window.pwned=1">Evil {marker}'
    shop.create_product(name)
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    page.goto(f"{shop.url}/ui/?q=Evil {marker}")
    expect(page.get_by_test_id("product-name")).to_have_text(name)  # shown as text
    assert page.evaluate("window.pwned") is None
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


@pytest.mark.critical
def test_security_headers_on_pages(page: Page, shop: Shop) -> None:
    response = page.goto(f"{shop.url}/ui/login")
    assert response is not None
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" in headers
    cookie_names = set()
    email = register(page, shop.url)
    for c in page.context.cookies():
        cookie_names.add(c["name"])
        if c["name"] in ("sf_access", "sf_refresh"):
            assert c["httpOnly"] and c["sameSite"] == "Strict"
    assert {"sf_access", "sf_refresh"} <= cookie_names and email


@pytest.mark.critical
def test_cross_site_form_post_is_refused(page: Page, shop: Shop) -> None:
    register(page, shop.url)
    r = page.request.post(f"{shop.url}/ui/logout", headers={"Origin": "https://evil.example"})
    assert r.status == 403
    page.goto(f"{shop.url}/ui/")
    expect(page.get_by_test_id("current-user")).to_be_visible()  # still signed in
