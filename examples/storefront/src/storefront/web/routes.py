"""Web pages: login, register, catalog, cart/checkout, my orders.

Browser sessions use the same tokens as the API, kept in ``HttpOnly; SameSite=Strict`` cookies:
``sf_access`` (the JWT) and ``sf_refresh`` (scoped to ``/ui``). When the access token has expired
the refresh token is rotated transparently; when that fails too the user is sent to the login
page with a "session expired" notice. POSTs additionally require a same-origin ``Origin`` (or
``Referer``) header, on top of SameSite, as CSRF defence in depth.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from anyio.from_thread import run as run_async
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from storefront.api.deps import Ctx, client_ip
from storefront.errors import AppError
from storefront.models import User
from storefront.schemas import LoginIn, OrderItemIn, RegisterIn
from storefront.security import decode_access_token
from storefront.services import auth as auth_svc
from storefront.services import catalog as catalog_svc
from storefront.services import orders as orders_svc

router = APIRouter(prefix="/ui", include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["money"] = lambda cents: f"{int(cents) / 100:,.2f} €"

ACCESS_COOKIE = "sf_access"
REFRESH_COOKIE = "sf_refresh"
CART_COOKIE = "sf_cart"
PAGE_SIZE = 12
MAX_CART_LINES = 20

# Flash messages are looked up by key so no user-controlled text is ever reflected.
FLASH = {
    "expired": ("info", "Your session has expired. Please sign in again."),
    "logged_out": ("info", "You have been signed out."),
    "registered": ("success", "Welcome! Your account has been created."),
    "added": ("success", "Added to your cart."),
    "cart_cleared": ("info", "Your cart is empty now."),
    "ordered": ("success", "Thank you! Your order has been placed."),
    "paid": ("success", "Payment successful."),
    "declined": ("error", "Payment was declined. Please try again."),
    "cancelled": ("info", "Your order has been cancelled."),
    "conflict": ("error", "That order can no longer be changed."),
    "out_of_stock": ("error", "Sorry, some items are no longer available in that quantity."),
    "login_required": ("info", "Please sign in to continue."),
}


@dataclass
class WebAuth:
    """Who is browsing, and cookies to (re)set on the response."""

    user: User | None = None
    session_id: str | None = None
    new_tokens: auth_svc.IssuedTokens | None = None
    expired: bool = False
    cookies_to_clear: list[str] = field(default_factory=list)


def _resolve(request: Request, ctx: Ctx) -> WebAuth:
    access = request.cookies.get(ACCESS_COOKIE)
    refresh = request.cookies.get(REFRESH_COOKIE)
    with ctx.sessions() as db:
        if access:
            try:
                claims = decode_access_token(ctx.settings, access)
                user = auth_svc.load_principal(db, claims)
                request.state.user_id = user.id
                return WebAuth(user=user, session_id=claims.session_id)
            except AppError:
                pass
        if refresh:
            try:
                tokens = auth_svc.rotate(db, ctx.settings, refresh)
            except AppError:
                return WebAuth(expired=True, cookies_to_clear=[ACCESS_COOKIE, REFRESH_COOKIE])
            refreshed = db.get(User, tokens.user_id)
            request.state.user_id = tokens.user_id
            return WebAuth(user=refreshed, session_id=tokens.session_id, new_tokens=tokens)
        if access:
            return WebAuth(expired=True, cookies_to_clear=[ACCESS_COOKIE])
    return WebAuth()


WebAuthDep = Annotated[WebAuth, Depends(_resolve)]


def _set_token_cookies(response: Response, ctx: Ctx, tokens: auth_svc.IssuedTokens) -> None:
    secure = ctx.settings.cookie_secure
    ttl = ctx.settings.refresh_token_ttl_seconds
    response.set_cookie(
        ACCESS_COOKIE,
        tokens.access_token,
        max_age=ttl,
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/",
    )
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=ttl,
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/ui",
    )


def _finish(response: Response, ctx: Ctx, auth: WebAuth) -> Response:
    if auth.new_tokens is not None:
        _set_token_cookies(response, ctx, auth.new_tokens)
    for name in auth.cookies_to_clear:
        response.delete_cookie(name, path="/ui" if name == REFRESH_COOKIE else "/")
    return response


def _render(
    request: Request,
    ctx: Ctx,
    auth: WebAuth,
    template: str,
    status_code: int = 200,
    **context: object,
) -> Response:
    msg = request.query_params.get("msg", "")
    flash = FLASH.get(msg)
    response = templates.TemplateResponse(
        request,
        template,
        {"user": auth.user, "flash": flash, "cart_count": sum(_cart(request).values()), **context},
        status_code=status_code,
    )
    return _finish(response, ctx, auth)


def _redirect(url: str, ctx: Ctx | None = None, auth: WebAuth | None = None) -> Response:
    response = RedirectResponse(url, status_code=303)
    if ctx is not None and auth is not None:
        _finish(response, ctx, auth)
    return response


def _login_redirect(request: Request, ctx: Ctx, auth: WebAuth) -> Response:
    reason = "expired" if auth.expired else "login_required"
    return _redirect(f"/ui/login?msg={reason}&next={request.url.path}", ctx, auth)


def check_same_origin(request: Request) -> None:
    """CSRF defence in depth: a browser POST must come from our own origin."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return  # non-browser clients; SameSite=Strict cookies already stop cross-site forms
    parts = urlsplit(origin)
    if parts.netloc != request.headers.get("host", ""):
        raise AppError(403, "forbidden", "Cross-origin form submission refused")


SameOrigin = Depends(check_same_origin)


def _safe_next(target: str | None) -> str:
    # Only local UI paths: never an open redirect.
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/"


def _cart(request: Request) -> dict[int, int]:
    cart: dict[int, int] = {}
    raw = request.cookies.get(CART_COOKIE, "")
    for part in raw.split(".")[:MAX_CART_LINES]:
        pid, _, qty = part.partition("-")
        if pid.isdigit() and qty.isdigit() and 0 < int(qty) <= 100 and int(pid) > 0:
            cart[int(pid)] = int(qty)
    return cart


def _store_cart(response: Response, cart: dict[int, int], secure: bool) -> None:
    value = ".".join(f"{pid}-{qty}" for pid, qty in list(cart.items())[:MAX_CART_LINES])
    if value:
        response.set_cookie(
            CART_COOKIE,
            value,
            max_age=7 * 24 * 3600,
            httponly=True,
            secure=secure,
            samesite="strict",
            path="/ui",
        )
    else:
        response.delete_cookie(CART_COOKIE, path="/ui")


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = str(err["loc"][0]) if err["loc"] else "form"
        msg = err["msg"].removeprefix("Value error, ")
        errors.setdefault(loc, msg[0].upper() + msg[1:] if msg else "Invalid value")
    return errors


# --- pages -----------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def catalog(request: Request, ctx: Ctx, auth: WebAuthDep, page: int = 1, q: str = "") -> Response:
    """Product catalog with search and add-to-cart buttons."""
    page = max(1, min(page, 100_000))
    q = q.strip()[:100]
    with ctx.sessions() as db:
        products, total = catalog_svc.list_products(
            db, PAGE_SIZE, (page - 1) * PAGE_SIZE, q=q or None
        )
    pages = max(1, -(-total // PAGE_SIZE))
    return _render(
        request, ctx, auth, "catalog.html", products=products, page=page, pages=pages, q=q
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, ctx: Ctx, auth: WebAuthDep, next: str = "/ui/") -> Response:
    """Sign-in form."""
    return _render(request, ctx, auth, "login.html", next=_safe_next(next), errors={}, email="")


@router.post("/login", response_class=HTMLResponse, dependencies=[SameOrigin])
def login_submit(
    request: Request,
    ctx: Ctx,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=500)] = "/ui/",
) -> Response:
    """Check credentials, set the session cookies, go to ``next``."""
    anonymous = WebAuth()
    target = _safe_next(next)

    def fail(errors: dict[str, str], status: int) -> Response:
        return _render(
            request,
            ctx,
            anonymous,
            "login.html",
            status,
            next=target,
            errors=errors,
            email=email[:254],
        )

    try:
        data = LoginIn(email=email, password=password)
    except ValidationError as exc:
        return fail(_field_errors(exc), 422)
    decision = run_async(ctx.limiter.hit, "login", auth_svc.normalize_email(data.email))
    if not decision.allowed:
        response = fail(
            {
                "form": f"Too many login attempts. Please try again in {decision.retry_after} "
                "seconds."
            },
            429,
        )
        response.headers["Retry-After"] = str(decision.retry_after)
        return response
    with ctx.sessions() as db:
        try:
            user = auth_svc.authenticate(db, ctx.hasher, ctx.dummy_hash, data.email, data.password)
        except AppError as exc:
            return fail({"form": exc.message}, 401)
        tokens = auth_svc.start_session(
            db, ctx.settings, user, request.headers.get("user-agent"), client_ip(request)
        )
    response = _redirect(target)
    _set_token_cookies(response, ctx, tokens)
    return response


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request, ctx: Ctx, auth: WebAuthDep) -> Response:
    """Sign-up form."""
    return _render(request, ctx, auth, "register.html", errors={}, values={})


@router.post("/register", response_class=HTMLResponse, dependencies=[SameOrigin])
def register_submit(
    request: Request,
    ctx: Ctx,
    name: Annotated[str, Form(max_length=1000)] = "",
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Create the account and sign in."""
    values = {"name": name[:100], "email": email[:254]}
    try:
        data = RegisterIn(name=name, email=email, password=password)
    except ValidationError as exc:
        return _render(
            request, ctx, WebAuth(), "register.html", 422, errors=_field_errors(exc), values=values
        )
    with ctx.sessions() as db:
        try:
            user = auth_svc.register(db, ctx.hasher, data.email, data.password, data.name)
        except AppError as exc:
            return _render(
                request,
                ctx,
                WebAuth(),
                "register.html",
                exc.status_code,
                errors={"email": exc.message},
                values=values,
            )
        ctx.dispatcher.notify()
        tokens = auth_svc.start_session(
            db, ctx.settings, user, request.headers.get("user-agent"), client_ip(request)
        )
    response = _redirect("/ui/?msg=registered")
    _set_token_cookies(response, ctx, tokens)
    return response


@router.post("/logout", dependencies=[SameOrigin])
def logout(request: Request, ctx: Ctx, auth: WebAuthDep) -> Response:
    """Revoke the browser's session and clear its cookies."""
    if auth.session_id:
        with ctx.sessions() as db:
            auth_svc.revoke_family(db, auth.session_id, "logout")
    response = _redirect("/ui/login?msg=logged_out")
    response.delete_cookie(ACCESS_COOKIE, path="/")
    response.delete_cookie(REFRESH_COOKIE, path="/ui")
    return response


@router.post("/cart/add", dependencies=[SameOrigin])
def cart_add(
    request: Request,
    ctx: Ctx,
    product_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    quantity: Annotated[int, Form(ge=1, le=100)] = 1,
) -> Response:
    """Put a product in the cart cookie (stock is checked at checkout)."""
    with ctx.sessions() as db:
        catalog_svc.get_product(db, product_id)
    cart = _cart(request)
    cart[product_id] = min(cart.get(product_id, 0) + quantity, 100)
    response = _redirect("/ui/?msg=added")
    _store_cart(response, cart, ctx.settings.cookie_secure)
    return response


@router.post("/cart/clear", dependencies=[SameOrigin])
def cart_clear(ctx: Ctx) -> Response:
    """Empty the cart."""
    response = _redirect("/ui/cart?msg=cart_cleared")
    _store_cart(response, {}, ctx.settings.cookie_secure)
    return response


@router.get("/cart", response_class=HTMLResponse)
def cart_page(request: Request, ctx: Ctx, auth: WebAuthDep) -> Response:
    """Cart contents and the checkout button."""
    lines = []
    total = 0
    with ctx.sessions() as db:
        for pid, qty in _cart(request).items():
            try:
                product = catalog_svc.get_product(db, pid)
            except AppError:
                continue
            lines.append({"product": product, "quantity": qty})
            total += product.price_cents * qty
    # A fresh key per rendered form: a double-clicked or re-sent checkout creates one order.
    return _render(
        request,
        ctx,
        auth,
        "cart.html",
        lines=lines,
        total=total,
        idempotency_key=uuid.uuid4().hex,
    )


@router.post("/checkout", dependencies=[SameOrigin])
def checkout(
    request: Request,
    ctx: Ctx,
    auth: WebAuthDep,
    idempotency_key: Annotated[str, Form(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9]+$")],
) -> Response:
    """Create an order from the cart."""
    if auth.user is None:
        return _login_redirect(request, ctx, auth)
    cart = _cart(request)
    if not cart:
        return _redirect("/ui/cart", ctx, auth)
    items = [OrderItemIn(product_id=pid, quantity=qty) for pid, qty in cart.items()]
    with ctx.sessions() as db:
        try:
            order, _ = orders_svc.create_order(db, auth.user.id, items, "web-" + idempotency_key)
        except AppError as exc:
            if exc.code in ("insufficient_stock", "product_not_found"):
                return _redirect("/ui/cart?msg=out_of_stock", ctx, auth)
            raise
    ctx.dispatcher.notify()
    response = _redirect(f"/ui/orders?msg=ordered#order-{order.id}", ctx, auth)
    _store_cart(response, {}, ctx.settings.cookie_secure)
    return response


@router.get("/orders", response_class=HTMLResponse)
def orders_page(request: Request, ctx: Ctx, auth: WebAuthDep) -> Response:
    """The signed-in user's orders with pay and cancel buttons."""
    if auth.user is None:
        return _login_redirect(request, ctx, auth)
    with ctx.sessions() as db:
        orders, _ = orders_svc.list_orders(db, auth.user.id, 50, 0)
    return _render(request, ctx, auth, "orders.html", orders=orders)


@router.post("/orders/{order_id}/pay", dependencies=[SameOrigin])
def pay(request: Request, order_id: str, ctx: Ctx, auth: WebAuthDep) -> Response:
    """Pay an order."""
    if auth.user is None:
        return _login_redirect(request, ctx, auth)
    msg = "paid"
    try:
        orders_svc.pay_order(ctx.sessions, ctx.payments, auth.user.id, order_id)
        ctx.dispatcher.notify()
    except AppError as exc:
        if exc.status_code == 404:
            raise
        msg = "declined" if exc.status_code == 402 else "conflict"
    return _redirect(f"/ui/orders?msg={msg}", ctx, auth)


@router.post("/orders/{order_id}/cancel", dependencies=[SameOrigin])
def cancel(request: Request, order_id: str, ctx: Ctx, auth: WebAuthDep) -> Response:
    """Cancel a pending order."""
    if auth.user is None:
        return _login_redirect(request, ctx, auth)
    msg = "cancelled"
    with ctx.sessions() as db:
        try:
            orders_svc.cancel_order(db, auth.user.id, order_id)
            ctx.dispatcher.notify()
        except AppError as exc:
            if exc.status_code == 404:
                raise
            msg = "conflict"
    return _redirect(f"/ui/orders?msg={msg}", ctx, auth)
