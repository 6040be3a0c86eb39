"""FastAPI dependencies: database session, application context, authentication."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from storefront.context import AppContext
from storefront.errors import AppError, Unauthorized
from storefront.models import User
from storefront.security import AccessClaims, decode_access_token
from storefront.services.auth import load_principal

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="Access token (JWT) from POST /auth/login or /auth/refresh.",
)


class ReleasingRoute(APIRoute):
    """Route whose sync handlers close their request's database sessions before returning."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:  # noqa: ANN401
        if not inspect.iscoroutinefunction(endpoint):
            original = endpoint

            @functools.wraps(original)
            def releasing(*args: Any, **kw: Any) -> Any:  # noqa: ANN401
                try:
                    return original(*args, **kw)
                finally:
                    for value in kw.values():
                        if isinstance(value, Session):
                            value.close()

            endpoint = releasing
        super().__init__(path, endpoint, **kwargs)


# Dependencies that do no blocking I/O are ``async def``: FastAPI runs a sync dependency in
# its thread pool, a thread hop per dependency per request for a few attribute look-ups.


async def get_ctx(request: Request) -> AppContext:
    """The application context."""
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def get_db(request: Request, ctx: Ctx) -> Session:
    """A session per request, closed when the handler returns (:class:`ReleasingRoute`).

    Deliberately not a ``yield`` dependency: FastAPI runs such teardowns, and the response
    serialisation of sync handlers, as further jobs in the same bounded thread pool as the
    handlers. A request that still held its pooled connection then needs a free worker thread
    to give it back, while every worker may be waiting for a connection: a deadlock until the
    pool timeout. So the connection is returned in the handler's own thread, and the request
    middleware closes anything left over as a safety net. Creating a session opens no
    connection (that happens at its first query, in the handler's thread).
    """
    session = ctx.sessions()
    request.state.db_sessions = [*getattr(request.state, "db_sessions", []), session]
    return session


Db = Annotated[Session, Depends(get_db)]


async def get_claims(
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> AccessClaims:
    """Verified access-token claims; 401 without a valid bearer token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Missing bearer token", code="missing_token")
    return decode_access_token(ctx.settings, credentials.credentials)


Claims = Annotated[AccessClaims, Depends(get_claims)]


def get_current_user(request: Request, db: Db, claims: Claims) -> User:
    """The authenticated user, provided its session is still live."""
    user = load_principal(db, claims)
    # End the read transaction now: on SQLite every transaction holds the write lock
    # (BEGIN IMMEDIATE), and handlers may open their own sessions while this one lives.
    db.commit()
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def require_admin(user: CurrentUser) -> User:
    """The authenticated user if it has the admin role; 403 otherwise."""
    if user.role != "admin":
        raise AppError(403, "forbidden", "Admin role required")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def client_ip(request: Request) -> str | None:
    """The peer address (uvicorn applies ``--forwarded-allow-ips`` before we see it)."""
    return request.client.host if request.client else None
