"""One JSON error shape for every failure, and handlers that never leak internals.

Every error body is ``{"error": {"code": ..., "message": ..., "request_id": ...}}``; validation
errors add ``details`` (field location and message only, never the rejected input, which could
be a password).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from storefront.logging_setup import request_id_var

log = logging.getLogger("storefront.errors")


class AppError(Exception):
    """A deliberate, client-visible error with an HTTP status and a stable code."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers or {}


class Unauthorized(AppError):
    """401 with the ``WWW-Authenticate`` header RFC 6750 asks for."""

    def __init__(
        self, message: str = "Authentication required", code: str = "unauthorized"
    ) -> None:
        super().__init__(401, code, message, {"WWW-Authenticate": "Bearer"})


def error_body(code: str, message: str, **extra: object) -> dict[str, Any]:
    """The JSON error envelope."""
    err: dict[str, Any] = {"code": code, "message": message, "request_id": request_id_var.get()}
    err.update(extra)
    return {"error": err}


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> Response:
    """The usual error response, for the exception handlers and for middleware.

    JSON in the error envelope for the API, the HTML error page for ``/ui`` paths.
    """
    if request.url.path.startswith("/ui"):
        # Browser pages get an HTML error page; Jinja autoescaping encodes the message.
        from storefront.web.routes import templates

        return templates.TemplateResponse(
            request,
            "error.html",
            {"message": message, "user": None, "flash": None, "cart_count": 0},
            status_code=status,
            headers=dict(headers or {}),
        )
    return JSONResponse(
        error_body(code, message, **extra), status_code=status, headers=dict(headers or {})
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_response(request, exc.status_code, exc.code, exc.message, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 400 and exc.detail == "There was an error parsing the body":
        # Undecodable bodies are one more kind of invalid input: same status as the others.
        status = 422
    if status == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    code = _STATUS_CODES.get(status, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(request, status, code, message, headers)


def allowed_methods(request: Request) -> list[str]:
    """All methods any route serves at this path (Starlette's 405 names only the first route's).

    Asks each top-level route whether it fully matches the path with a given method, which
    also covers included routers without relying on how they are nested.
    """
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(r.matches(scope)[0] == Match.FULL for r in request.app.router.routes):
            allowed.append(method)
    return allowed


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type")}
        for e in exc.errors()
    ]
    return error_response(
        request, 422, "validation_error", "Request validation failed", details=details
    )


async def _overloaded(request: Request, exc: Exception) -> Response:
    # No database connection became free in time: we are overloaded, tell clients to back off.
    log.warning("database pool exhausted", exc_info=exc)
    return error_response(
        request, 503, "overloaded", "Service temporarily overloaded", {"Retry-After": "1"}
    )


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    # Full detail goes to the log (with the request id); the client only gets the id.
    log.error("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "Internal server error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(SQLAlchemyTimeoutError, _overloaded)
    app.add_exception_handler(Exception, _unhandled)
