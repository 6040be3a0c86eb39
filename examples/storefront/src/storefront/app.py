"""Application factory: wires configuration, database, events, security and routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from storefront import metrics, migrate
from storefront.api import auth, catalog, ops, orders
from storefront.config import Settings
from storefront.context import AppContext
from storefront.db import make_engine, make_sessionmaker
from storefront.errors import install_error_handlers
from storefront.events import OutboxDispatcher, default_consumers, make_transport
from storefront.faults import FaultInjectionMiddleware, FaultState
from storefront.input_guard import NulInputMiddleware
from storefront.middleware import (
    BodySizeLimitMiddleware,
    RateLimitMiddleware,
    RequestContextMiddleware,
)
from storefront.ratelimit import RateLimiter
from storefront.schemas import ErrorOut
from storefront.security import dummy_hash, make_password_hasher
from storefront.services.payments import SimulatedPaymentProvider
from storefront.web import routes as web

log = logging.getLogger("storefront.app")


def build_context(settings: Settings) -> AppContext:
    """Create the object graph for one application instance."""
    engine = make_engine(settings)
    metrics.POOL_COLLECTOR.track(engine)
    sessions = make_sessionmaker(engine)
    hasher = make_password_hasher(settings)
    transport = make_transport(settings)
    return AppContext(
        settings=settings,
        engine=engine,
        sessions=sessions,
        hasher=hasher,
        dummy_hash=dummy_hash(hasher),
        limiter=RateLimiter(settings),
        faults=FaultState(settings.fault_error_rate, settings.fault_latency_ms),
        payments=SimulatedPaymentProvider(
            settings.payment_failure_rate, settings.payment_latency_ms
        ),
        transport=transport,
        consumers=default_consumers(sessions),
        dispatcher=OutboxDispatcher(sessions, transport, settings),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI application. ``settings`` defaults to the environment."""
    settings = settings or Settings()
    ctx = build_context(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.jwt_secret_generated:
            log.warning(
                "JWT_SECRET is not set: using a random per-process secret; tokens will not "
                "survive a restart or work across instances"
            )
        if settings.should_auto_migrate:
            await asyncio.to_thread(migrate.upgrade, ctx.engine)
        if ctx.faults.active:
            log.warning(
                "fault injection active at startup",
                extra={"error_rate": ctx.faults.error_rate, "latency_ms": ctx.faults.latency_ms},
            )
        await ctx.transport.start(ctx.consumers.handle)
        task: asyncio.Task[None] | None = None
        if settings.dispatcher_enabled:
            task = asyncio.create_task(ctx.dispatcher.run(), name="outbox-dispatcher")
        metrics.BUILD_INFO.labels(settings.app_version, settings.build_sha).set(1)
        log.info(
            "storefront started",
            extra={
                "version": settings.app_version,
                "database": ctx.engine.dialect.name,
                "events": ctx.transport.name,
                "rate_limit_storage": "redis" if ctx.limiter.shared else "memory",
            },
        )
        try:
            yield
        finally:
            # Runs after uvicorn has drained in-flight requests on SIGTERM.
            ctx.dispatcher.stop()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=10)
            await ctx.transport.close()
            ctx.engine.dispose()
            log.info("storefront stopped")

    app = FastAPI(
        title="storefront",
        version=settings.app_version,
        description="A small online shop API (golive's example service).",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI pulls assets from a CDN, which our CSP forbids
        redoc_url=None,
        # Every route can be rate limited: clients must be told, and contract tests accept it.
        responses={
            429: {
                "model": ErrorOut,
                "description": "Rate limited; retry after the number of seconds in Retry-After.",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            }
        },
    )
    app.state.ctx = ctx
    install_error_handlers(app)

    app.include_router(ops.router)
    if settings.fault_injection_enabled:
        app.include_router(ops.faults_router)
    app.include_router(auth.router)
    app.include_router(catalog.router)
    app.include_router(orders.router)
    app.include_router(web.router)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=307)

    # Added innermost first: the request passes CORS → rate limit → faults → body size →
    # NUL guard → app, all inside the request-context middleware that measures and logs
    # everything. The NUL guard reads the body, so it sits inside the size limit.
    app.add_middleware(NulInputMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(FaultInjectionMiddleware, state=ctx.faults)
    app.add_middleware(RateLimitMiddleware, limiter=ctx.limiter, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, settings=settings)
    return app
