"""Password hashing (argon2id), access tokens (JWT, HS256) and refresh-token helpers."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from storefront.config import Settings
from storefront.errors import Unauthorized

ACCESS_TOKEN_TYPE = "access"
JWT_ALGORITHM = "HS256"


def make_password_hasher(settings: Settings) -> PasswordHasher:
    """An argon2id hasher with the configured cost (tests use cheap parameters)."""
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost_kib,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


def verify_password(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """True when ``password`` matches; malformed hashes count as a mismatch."""
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A valid hash of a random secret, verified against when the e-mail is unknown so that a login
# attempt takes the same time whether or not the account exists (no user enumeration by timing).
def dummy_hash(hasher: PasswordHasher) -> str:
    """Hash of a random, never-revealed password with the current parameters."""
    return hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class AccessClaims:
    """The verified claims of an access token."""

    user_id: str
    session_id: str
    role: str
    expires_at: int


def issue_access_token(settings: Settings, user_id: str, session_id: str, role: str) -> str:
    """Sign a short-lived access token bound to a login session."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "sid": session_id,
        "role": role,
        "typ": ACCESS_TOKEN_TYPE,
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + settings.access_token_ttl_seconds,
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, settings.effective_jwt_secret, algorithm=JWT_ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """Verify signature, algorithm, issuer and expiry; raise :class:`Unauthorized` otherwise.

    The algorithm list is pinned, which is what rejects ``alg: none`` and algorithm confusion.
    """
    try:
        data: dict[str, Any] = jwt.decode(
            token,
            settings.effective_jwt_secret,
            algorithms=[JWT_ALGORITHM],
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "sid", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Access token expired", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid access token", code="invalid_token") from exc
    if data.get("typ") != ACCESS_TOKEN_TYPE:
        raise Unauthorized("Invalid access token", code="invalid_token")
    return AccessClaims(
        user_id=str(data["sub"]),
        session_id=str(data["sid"]),
        role=str(data.get("role", "customer")),
        expires_at=int(data["exp"]),
    )


def new_refresh_token() -> str:
    """A 256-bit random opaque refresh token."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """SHA-256 of a refresh token; enough for a high-entropy random value (no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()
