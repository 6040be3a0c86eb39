"""Unit tests of pure building blocks: settings, passwords, tokens, cart cookie, limiter."""

from __future__ import annotations

import asyncio

import pytest

from storefront.config import Settings
from storefront.errors import AppError
from storefront.ratelimit import RateLimiter
from storefront.security import (
    decode_access_token,
    hash_refresh_token,
    issue_access_token,
    make_password_hasher,
    new_refresh_token,
    verify_password,
)

FAST = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 8, "argon2_parallelism": 1}


def test_settings_defaults_and_derived_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "AUTO_MIGRATE", "JWT_SECRET", "APP_VERSION"):
        monkeypatch.delenv(name, raising=False)
    s = Settings()
    assert s.database_url == "sqlite:///storefront.db" and s.is_sqlite
    assert s.should_auto_migrate and s.app_version == "0.1.0"
    assert not s.fault_injection_enabled and s.fault_error_rate == 0.0
    pg = Settings(database_url="postgresql+psycopg://u@h/db")
    assert not pg.should_auto_migrate
    assert Settings(
        database_url="postgresql+psycopg://u@h/db", auto_migrate=True
    ).should_auto_migrate
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://a.example, https://b.example,")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


def test_generated_jwt_secret_is_random_and_stable_per_instance() -> None:
    a, b = Settings(jwt_secret=None), Settings(jwt_secret=None)
    assert a.jwt_secret_generated
    assert a.effective_jwt_secret == a.effective_jwt_secret
    assert a.effective_jwt_secret != b.effective_jwt_secret
    assert len(a.effective_jwt_secret) >= 48
    assert "jwt_secret" not in repr(Settings(jwt_secret="s3cr3t-value")).replace("jwt_secret_", "")


def test_password_hashing() -> None:
    hasher = make_password_hasher(Settings(**FAST))
    h = hasher.hash("a long password")
    assert h.startswith("$argon2id$")
    assert verify_password(hasher, h, "a long password")
    assert not verify_password(hasher, h, "another password")
    assert not verify_password(hasher, "not-a-hash", "a long password")


def test_access_token_roundtrip_and_rejections() -> None:
    s = Settings(jwt_secret="k" * 48, access_token_ttl_seconds=60)
    token = issue_access_token(s, "user-1", "sess-1", "admin")
    claims = decode_access_token(s, token)
    assert (claims.user_id, claims.session_id, claims.role) == ("user-1", "sess-1", "admin")
    other = Settings(jwt_secret="j" * 48)
    with pytest.raises(AppError) as exc:
        decode_access_token(other, token)
    assert exc.value.status_code == 401
    wrong_issuer = Settings(jwt_secret="k" * 48, jwt_issuer="someone-else")
    with pytest.raises(AppError):
        decode_access_token(wrong_issuer, token)


def test_refresh_tokens_are_random_and_hashed() -> None:
    tokens = {new_refresh_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) >= 43 for t in tokens)
    t = next(iter(tokens))
    assert hash_refresh_token(t) == hash_refresh_token(t) and len(hash_refresh_token(t)) == 64
    assert t not in hash_refresh_token(t)


def test_cart_cookie_parsing_is_strict() -> None:
    from starlette.requests import Request

    from storefront.web.routes import _cart, _safe_next

    def request(cookie: str) -> Request:
        return Request({"type": "http", "headers": [(b"cookie", f"sf_cart={cookie}".encode())]})

    assert _cart(request("1-2.5-1")) == {1: 2, 5: 1}
    assert _cart(request("1-0.x-1.2-101.-3-1.4-abc")) == {}
    assert len(_cart(request(".".join(f"{i}-1" for i in range(1, 100))))) == 20
    assert _safe_next("/ui/orders") == "/ui/orders"
    for evil in ("https://evil.example", "//evil.example", "/api", None, "/ui"):
        assert _safe_next(evil) == "/ui/"


def test_memory_rate_limiter_counts_and_reports_retry_after() -> None:
    limiter = RateLimiter(Settings(rate_limit_login="2/minute"))

    async def run() -> list[tuple[bool, int]]:
        out = []
        for _ in range(3):
            d = await limiter.hit("login", "someone@example.com")
            out.append((d.allowed, d.retry_after))
        assert (await limiter.hit("login", "other@example.com")).allowed
        return out

    results = asyncio.run(run())
    assert [r[0] for r in results] == [True, True, False]
    assert 1 <= results[2][1] <= 60


def test_disabled_rate_limiter_allows_everything() -> None:
    limiter = RateLimiter(Settings(rate_limit_enabled=False, rate_limit_ip="1/minute"))

    async def run() -> bool:
        return all([(await limiter.hit("ip", "1.2.3.4")).allowed for _ in range(5)])

    assert asyncio.run(run())
