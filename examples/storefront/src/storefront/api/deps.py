"""FastAPI dependencies: database session, application context, authentication."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
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


def get_ctx(request: Request) -> AppContext:
    """The application context."""
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def get_db(ctx: Ctx) -> Iterator[Session]:
    """A session per request, closed afterwards (uncommitted work is rolled back)."""
    with ctx.sessions() as session:
        yield session


Db = Annotated[Session, Depends(get_db)]


def get_claims(
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


def require_admin(user: CurrentUser) -> User:
    """The authenticated user if it has the admin role; 403 otherwise."""
    if user.role != "admin":
        raise AppError(403, "forbidden", "Admin role required")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def client_ip(request: Request) -> str | None:
    """The peer address (uvicorn applies ``--forwarded-allow-ips`` before we see it)."""
    return request.client.host if request.client else None
