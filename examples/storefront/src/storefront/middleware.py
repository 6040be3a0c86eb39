"""ASGI middleware: request context (id, access log, metrics, security headers) and rate limits.

Written as plain ASGI callables rather than ``BaseHTTPMiddleware`` so streaming, cancellation and
contextvars behave, and so a crash inside the app still yields a JSON 500 carrying the request id.
"""

from __future__ import annotations

import html
import logging
import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storefront import metrics
from storefront.config import Settings
from storefront.errors import AppError, error_body
from storefront.logging_setup import request_id_var
from storefront.ratelimit import RateLimiter
from storefront.security import decode_access_token

access_log = logging.getLogger("storefront.access")
error_log = logging.getLogger("storefront.errors")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """Headers added to every response."""
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    pairs = {
        "Content-Security-Policy": csp,
        "Strict-Transport-Security": f"max-age={settings.hsts_max_age_seconds}; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",  # "no-referrer" makes browsers send Origin: null
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    return [(k.lower().encode(), v.encode()) for k, v in pairs.items()]


def route_template(scope: MutableMapping[str, Any]) -> str:
    """The matched route's path template, never the raw path (bounded label cardinality)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Request id, in-flight gauge, latency/count metrics, access log and security headers."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = security_headers(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status = 500
        started = False
        metrics.HTTP_IN_FLIGHT.inc()

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = rid
                for key, value in self.headers:
                    if key.decode() not in headers:
                        headers.raw.append((key, value))
                if "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:  # noqa: BLE001 - last line of defence: log, answer JSON 500
            error_log.error("unhandled error", exc_info=exc)
            status = 500
            if not started:
                response = JSONResponse(
                    error_body("internal_error", "Internal server error"), status_code=500
                )
                await response(scope, receive, send_wrapper)
        finally:
            for session in scope.get("state", {}).pop("db_sessions", []):
                session.close()  # returns the connection; see storefront.api.deps.get_db
            elapsed = time.perf_counter() - start
            metrics.HTTP_IN_FLIGHT.dec()
            route = route_template(scope)
            method = scope.get("method", "GET")
            metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
            metrics.HTTP_LATENCY.labels(route, method).observe(elapsed)
            path = scope.get("path", "")
            if path not in QUIET_PATHS or status >= 500:
                client = scope.get("client")
                access_log.info(
                    "request",
                    extra={
                        "request_id": rid,
                        "method": method,
                        "path": path,  # no query string: it could carry secrets
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client_ip": client[0] if client else None,
                        "user_id": scope.get("state", {}).get("user_id"),
                    },
                )
            request_id_var.reset(token)


RATE_LIMIT_EXEMPT = ("/healthz", "/readyz", "/metrics", "/static/")


class RateLimitMiddleware:
    """Per-IP limit on every request, plus a per-user limit when a valid token is presented."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, settings: Settings) -> None:
        self.app = app
        self.limiter = limiter
        self.settings = settings

    def _user_id(self, headers: Headers) -> str | None:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if token is None:
            for part in headers.get("cookie", "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == "sf_access" and value:
                    token = value
        if not token:
            return None
        try:
            return decode_access_token(self.settings, token).user_id
        except AppError:
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check limits, answer 429 with ``Retry-After`` when exceeded."""
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not self.limiter.enabled
            or path.startswith(RATE_LIMIT_EXEMPT)
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        decision = await self.limiter.hit("ip", ip)
        scope_name = "ip"
        if decision.allowed:
            user_id = self._user_id(Headers(scope=scope))
            if user_id:
                scope.setdefault("state", {})["user_id"] = user_id
                decision = await self.limiter.hit("user", user_id)
                scope_name = "user"
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        response = too_many_requests(path, decision.retry_after, scope_name)
        await response(scope, receive, send)


def too_many_requests(path: str, retry_after: int, scope_name: str) -> Response:
    """A 429 in the client's format: an HTML page for the web UI, JSON for the API."""
    headers = {"Retry-After": str(retry_after)}
    message = f"Too many requests. Please try again in {retry_after} seconds."
    if path.startswith("/ui"):
        body = (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Slow down</title>"
            '<link rel=stylesheet href="/static/style.css"></head><body><main>'
            f'<p class="flash error" role="alert" id="rate-limit">{html.escape(message)}</p>'
            '<p><a href="/ui/">Back to the shop</a></p></main></body></html>'
        )
        return HTMLResponse(body, status_code=429, headers=headers)
    return JSONResponse(
        error_body("rate_limited", message, scope=scope_name), status_code=429, headers=headers
    )


class BodySizeLimitMiddleware:
    """Refuse request bodies above ``max_bytes`` with 413, declared or streamed.

    A chunked body has no ``Content-Length``: its bytes are counted as they arrive, and once
    over the limit the application's reading fails. Whatever the application then answers
    (FastAPI turns a failed body read into "error parsing the body") is replaced by the 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check ``Content-Length`` up front and count streamed chunks."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(scope, receive, send)
            return
        received = 0
        exceeded = started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a body it could not read; the 413 follows
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    """Raised into the application when the streamed body passes the limit."""


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(
        error_body("payload_too_large", "Request body too large"), status_code=413
    )
    await response(scope, receive, send)
