"""Runtime configuration, read from environment variables (12-factor).

Every setting has an upper-case environment variable of the same name; the README holds the
full table. Nothing secret has a default: a missing ``JWT_SECRET`` makes the service generate a
random one per process (fine for a single dev instance, logged as a warning).
"""

from __future__ import annotations

import secrets
from functools import cached_property
from typing import Literal

from pydantic import Field, computed_field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///storefront.db"


class Settings(BaseSettings):
    """All configuration of one storefront process."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # --- identity --------------------------------------------------------------------------
    app_version: str = "0.1.0"
    build_sha: str = "unknown"
    build_date: str = "unknown"
    environment: str = "development"

    # --- storage -----------------------------------------------------------------------------
    database_url: str = DEFAULT_SQLITE_URL
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    auto_migrate: bool | None = None

    # --- auth --------------------------------------------------------------------------------
    jwt_secret: str | None = Field(default=None, repr=False)
    jwt_issuer: str = "storefront"
    access_token_ttl_seconds: int = Field(default=900, ge=1)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=1)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    cookie_secure: bool = False

    # --- events ------------------------------------------------------------------------------
    events_url: str | None = None
    nats_stream: str = "STOREFRONT"
    nats_subject_prefix: str = "storefront.events"
    nats_durable: str = "storefront-consumers"
    nats_ack_wait_seconds: float = Field(default=30.0, gt=0)
    outbox_poll_interval_seconds: float = Field(default=0.5, gt=0)
    outbox_batch_size: int = Field(default=100, ge=1)
    outbox_max_backoff_seconds: float = Field(default=60.0, gt=0)
    outbox_base_backoff_seconds: float = Field(default=0.5, gt=0)
    dispatcher_enabled: bool = True

    # --- payments (simulated provider) -------------------------------------------------------
    payment_failure_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    payment_latency_ms: int = Field(default=0, ge=0)

    # --- security ----------------------------------------------------------------------------
    rate_limit_enabled: bool = True
    rate_limit_ip: str = "600/minute"
    rate_limit_user: str = "300/minute"
    rate_limit_login: str = "10/minute"
    redis_url: str | None = None
    rate_limit_key_prefix: str = "storefront_rl"
    cors_allow_origins: str = ""
    hsts_max_age_seconds: int = 63072000
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    # --- operability -------------------------------------------------------------------------
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    shutdown_timeout_seconds: int = Field(default=30, ge=1)

    # --- fault injection (drills only) -------------------------------------------------------
    fault_injection_enabled: bool = False
    fault_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    fault_latency_ms: int = Field(default=0, ge=0)

    # --- seeding -----------------------------------------------------------------------------
    admin_email: str | None = None
    admin_password: str | None = Field(default=None, repr=False)
    seed_user_password: str | None = Field(default=None, repr=False)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_sqlite(self) -> bool:
        """True when the configured database is SQLite."""
        return self.database_url.startswith("sqlite")

    @property
    def cors_origins(self) -> list[str]:
        """CORS allow-list parsed from the comma separated ``CORS_ALLOW_ORIGINS``."""
        return [o.strip() for o in self.cors_allow_origins.split(",") if o.strip()]

    @property
    def should_auto_migrate(self) -> bool:
        """Run migrations at startup: explicit ``AUTO_MIGRATE`` wins, else only for SQLite."""
        if self.auto_migrate is not None:
            return self.auto_migrate
        return self.is_sqlite

    @cached_property
    def effective_jwt_secret(self) -> str:
        """The signing secret; a random per-process one when ``JWT_SECRET`` is unset."""
        if self.jwt_secret:
            return self.jwt_secret
        return secrets.token_urlsafe(48)

    @property
    def jwt_secret_generated(self) -> bool:
        """Whether the signing secret was generated because ``JWT_SECRET`` is unset."""
        return not self.jwt_secret
