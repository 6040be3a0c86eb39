"""Accounts, login sessions and refresh-token rotation with reuse detection."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront import metrics
from storefront.config import Settings
from storefront.db import rowcount
from storefront.errors import AppError, Unauthorized
from storefront.events import record_event
from storefront.models import AuthSession, RefreshToken, User, as_utc, utcnow
from storefront.security import (
    AccessClaims,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
    verify_password,
)

log = logging.getLogger("storefront.auth")

INVALID_CREDENTIALS = "Invalid email or password"


@dataclass(frozen=True)
class IssuedTokens:
    """A fresh access/refresh pair."""

    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    user_id: str


def normalize_email(email: str) -> str:
    """Case-insensitive e-mail identity."""
    return email.strip().lower()


def register(
    db: Session,
    hasher: PasswordHasher,
    email: str,
    password: str,
    name: str,
    role: str = "customer",
) -> User:
    """Create an account and its ``user.registered`` event; 409 when the e-mail is taken."""
    user = User(
        email=normalize_email(email), name=name, password_hash=hasher.hash(password), role=role
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise AppError(409, "email_taken", "An account with this email already exists") from exc
    record_event(db, "user.registered", user.id, {"user_id": user.id, "email": user.email})
    db.commit()
    metrics.USERS_REGISTERED.inc()
    log.info("user registered", extra={"user_id": user.id})
    return user


def authenticate(
    db: Session, hasher: PasswordHasher, dummy: str, email: str, password: str
) -> User:
    """Return the user for valid credentials; otherwise 401 without telling which part was wrong."""
    user = db.scalars(select(User).where(User.email == normalize_email(email))).first()
    # End the read transaction before hashing: on SQLite every transaction holds the write
    # lock, and an argon2 verification would keep every other request waiting that long.
    db.commit()
    if user is None:
        verify_password(hasher, dummy, password)  # same cost as a real check: no enumeration
        metrics.LOGINS.labels("failure").inc()
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if not verify_password(hasher, user.password_hash, password):
        metrics.LOGINS.labels("failure").inc()
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        db.commit()
    metrics.LOGINS.labels("success").inc()
    return user


def _issue(db: Session, settings: Settings, user: User, auth_session: AuthSession) -> IssuedTokens:
    refresh = new_refresh_token()
    db.add(
        RefreshToken(
            session_id=auth_session.id,
            token_hash=hash_refresh_token(refresh),
            expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    access = issue_access_token(settings, user.id, auth_session.id, user.role)
    return IssuedTokens(
        access, refresh, settings.access_token_ttl_seconds, auth_session.id, user.id
    )


def start_session(
    db: Session, settings: Settings, user: User, user_agent: str | None, ip: str | None
) -> IssuedTokens:
    """Open a login session (a new refresh-token family) and issue its first tokens."""
    auth_session = AuthSession(
        user_id=user.id,
        expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
        user_agent=(user_agent or "")[:255] or None,
        ip=ip,
    )
    db.add(auth_session)
    db.flush()
    tokens = _issue(db, settings, user, auth_session)
    db.commit()
    log.info("login", extra={"user_id": user.id, "session_id": auth_session.id})
    return tokens


def revoke_family(db: Session, session_id: str, reason: str) -> None:
    """Revoke a whole session (all its refresh tokens and access tokens)."""
    db.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    db.commit()


def rotate(db: Session, settings: Settings, refresh_token: str) -> IssuedTokens:
    """Exchange a refresh token for a new pair. Presenting a used token revokes its family."""
    now = utcnow()
    token = db.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(refresh_token))
    ).first()
    if token is None:
        raise Unauthorized("Invalid refresh token", code="invalid_token")
    auth_session = db.get(AuthSession, token.session_id)
    if auth_session is None or auth_session.revoked_at is not None:
        raise Unauthorized("Session revoked", code="session_revoked")
    # Claim the token atomically: of two concurrent rotations only one can win.
    claimed = rowcount(
        db.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
    )
    if not claimed:
        db.rollback()
        revoke_family(db, token.session_id, "refresh_reuse")
        log.warning(
            "refresh token reuse detected; session revoked",
            extra={"session_id": token.session_id},
        )
        raise Unauthorized("Refresh token reuse detected; session revoked", code="token_reused")
    if as_utc(token.expires_at) <= now or as_utc(auth_session.expires_at) <= now:
        db.commit()
        raise Unauthorized("Refresh token expired", code="token_expired")
    user = db.get(User, auth_session.user_id)
    if user is None:
        raise Unauthorized("Invalid refresh token", code="invalid_token")
    auth_session.last_used_at = now
    tokens = _issue(db, settings, user, auth_session)
    db.commit()
    return tokens


def load_principal(db: Session, claims: AccessClaims) -> User:
    """The user behind verified access-token claims, if its session is still live."""
    auth_session = db.get(AuthSession, claims.session_id)
    if (
        auth_session is None
        or auth_session.user_id != claims.user_id
        or auth_session.revoked_at is not None
        or as_utc(auth_session.expires_at) <= utcnow()
    ):
        raise Unauthorized("Session revoked or expired", code="session_revoked")
    user = db.get(User, claims.user_id)
    if user is None:
        raise Unauthorized("Invalid access token", code="invalid_token")
    return user


def list_sessions(db: Session, user_id: str) -> list[AuthSession]:
    """Live sessions of ``user_id``, newest first."""
    return list(
        db.scalars(
            select(AuthSession)
            .where(
                AuthSession.user_id == user_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > utcnow(),
            )
            .order_by(AuthSession.created_at.desc())
        )
    )


def revoke_own_session(db: Session, user_id: str, session_id: str) -> None:
    """Revoke one of the caller's sessions; 404 for anyone else's."""
    auth_session = db.get(AuthSession, session_id)
    if auth_session is None or auth_session.user_id != user_id:
        raise AppError(404, "not_found", "Session not found")
    revoke_family(db, session_id, "user_revoked")


def ensure_admin(db: Session, hasher: PasswordHasher, email: str, password: str) -> User:
    """Create the admin account, or promote and reset it when it exists (idempotent)."""
    user = db.scalars(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        return register(db, hasher, email, password, "Administrator", role="admin")
    user.role = "admin"
    user.password_hash = hasher.hash(password)
    db.commit()
    return user
