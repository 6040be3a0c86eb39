"""Authentication endpoints: register, login, refresh, logout, sessions, me."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from storefront.api.deps import Claims, Ctx, CurrentUser, Db, ReleasingRoute, client_ip
from storefront.errors import AppError
from storefront.schemas import (
    LoginIn,
    LogoutIn,
    RefreshIn,
    RegisterIn,
    SessionOut,
    TokenPair,
    UserOut,
)
from storefront.services import auth as svc

router = APIRouter(prefix="/auth", tags=["auth"], route_class=ReleasingRoute)

_401: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, invalid, expired or revoked credentials"}
}


def _pair(tokens: svc.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        session_id=tokens.session_id,
    )


@router.post("/register", status_code=201, response_model=UserOut, responses={409: {}})
def register(body: RegisterIn, ctx: Ctx, db: Db) -> UserOut:
    """Create a customer account."""
    user = svc.register(db, ctx.hasher, body.email, body.password, body.name)
    ctx.dispatcher.notify()
    return UserOut.model_validate(user)


async def check_login_limit(ctx: Ctx, email: str) -> None:
    """Brute-force guard: attempts per account, whatever IP they come from."""
    decision = await ctx.limiter.hit("login", svc.normalize_email(email))
    if not decision.allowed:
        raise AppError(
            429,
            "rate_limited",
            f"Too many login attempts. Please try again in {decision.retry_after} seconds.",
            {"Retry-After": str(decision.retry_after)},
        )


@router.post("/login", response_model=TokenPair, responses={**_401, 429: {}})
async def login(body: LoginIn, request: Request, ctx: Ctx) -> TokenPair:
    """Exchange e-mail and password for an access token and a refresh token."""
    await check_login_limit(ctx, body.email)

    def work() -> svc.IssuedTokens:
        with ctx.sessions() as db:
            user = svc.authenticate(db, ctx.hasher, ctx.dummy_hash, body.email, body.password)
            return svc.start_session(
                db, ctx.settings, user, request.headers.get("user-agent"), client_ip(request)
            )

    tokens = await run_in_threadpool(work)
    request.state.user_id = tokens.user_id
    return _pair(tokens)


@router.post("/refresh", response_model=TokenPair, responses=_401)
def refresh(body: RefreshIn, ctx: Ctx, db: Db) -> TokenPair:
    """Rotate a refresh token. Re-using an already rotated token revokes the whole session."""
    return _pair(svc.rotate(db, ctx.settings, body.refresh_token))


@router.post("/logout", status_code=204, responses=_401)
def logout(claims: Claims, user: CurrentUser, db: Db, body: LogoutIn | None = None) -> Response:
    """Revoke the current session: its refresh tokens and access tokens stop working."""
    svc.revoke_family(db, claims.session_id, "logout")
    return Response(status_code=204)


@router.get("/me", response_model=UserOut, responses=_401)
def me(user: CurrentUser) -> UserOut:
    """The authenticated user."""
    return UserOut.model_validate(user)


@router.get("/sessions", response_model=list[SessionOut], responses=_401)
def sessions(user: CurrentUser, claims: Claims, db: Db) -> list[SessionOut]:
    """Live login sessions of the authenticated user."""
    out = []
    for s in svc.list_sessions(db, user.id):
        item = SessionOut.model_validate(s)
        item.current = s.id == claims.session_id
        out.append(item)
    return out


@router.delete("/sessions/{session_id}", status_code=204, responses={**_401, 404: {}})
def revoke_session(
    session_id: Annotated[str, Path(max_length=36)], user: CurrentUser, db: Db
) -> Response:
    """Revoke one of the authenticated user's sessions (e.g. a lost device)."""
    svc.revoke_own_session(db, user.id, session_id)
    return Response(status_code=204)
