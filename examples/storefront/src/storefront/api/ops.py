"""Operational endpoints: probes, metrics, build info, fault injection."""

from __future__ import annotations

import asyncio
import platform
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from storefront import metrics
from storefront.api.deps import AdminUser, Ctx, ReleasingRoute
from storefront.events import outbox_stats
from storefront.schemas import FaultsIn, FaultsOut, VersionOut

router = APIRouter(tags=["ops"], route_class=ReleasingRoute)

PROBE_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process serves HTTP. Checks no dependency, so it never flaps with them."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A dependency is unreachable"}})
async def readyz(ctx: Ctx) -> JSONResponse:
    """Readiness: the database and the event transport are reachable."""

    def db_ok() -> bool:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    checks: dict[str, Any] = {}
    try:
        checks["database"] = await asyncio.wait_for(run_in_threadpool(db_ok), PROBE_TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001 - any failure means not ready
        checks["database"] = False
    try:
        checks["events"] = await asyncio.wait_for(ctx.transport.ready(), PROBE_TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001
        checks["events"] = False
    ok = all(checks.values())
    if ctx.limiter.shared:
        # Informational: the limiter fails open, so Redis being down does not make us unready.
        try:
            checks["redis"] = await asyncio.wait_for(ctx.limiter.ready(), PROBE_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001
            checks["redis"] = False
    return JSONResponse(
        {"status": "ready" if ok else "unavailable", "checks": checks},
        status_code=200 if ok else 503,
    )


@router.get("/metrics", response_class=Response)
async def prometheus_metrics(ctx: Ctx) -> Response:
    """Prometheus exposition format."""
    try:
        pending, lag = await run_in_threadpool(outbox_stats, ctx.sessions)
        metrics.OUTBOX_PENDING.set(pending)
        metrics.OUTBOX_LAG.set(lag)
    except Exception:  # noqa: BLE001 - stale gauges beat a failed scrape
        pass
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/version", response_model=VersionOut)
def version(ctx: Ctx) -> VersionOut:
    """Version and build information (``APP_VERSION``, ``BUILD_SHA``, ``BUILD_DATE``)."""
    s = ctx.settings
    return VersionOut(
        name="storefront",
        version=s.app_version,
        build_sha=s.build_sha,
        build_date=s.build_date,
        python=platform.python_version(),
        environment=s.environment,
    )


# Only mounted when FAULT_INJECTION_ENABLED=true, so otherwise these paths are plain 404s
# (before any authentication) and absent from the OpenAPI document.
faults_router = APIRouter(prefix="/admin/faults", tags=["admin"], route_class=ReleasingRoute)

_FAULT_RESPONSES: dict[int | str, dict[str, Any]] = {401: {}, 403: {}}


def _faults_out(ctx: Ctx) -> FaultsOut:
    return FaultsOut(
        enabled=True, error_rate=ctx.faults.error_rate, latency_ms=ctx.faults.latency_ms
    )


@faults_router.get("", response_model=FaultsOut, responses=_FAULT_RESPONSES)
def get_faults(ctx: Ctx, admin: AdminUser) -> FaultsOut:
    """Current fault injection settings."""
    return _faults_out(ctx)


@faults_router.post("", response_model=FaultsOut, responses=_FAULT_RESPONSES)
def set_faults(body: FaultsIn, ctx: Ctx, admin: AdminUser) -> FaultsOut:
    """Make ``error_rate`` of requests fail with 500 and add ``latency_ms`` to each (drills)."""
    ctx.faults.error_rate = body.error_rate
    ctx.faults.latency_ms = body.latency_ms
    return _faults_out(ctx)


@faults_router.delete("", response_model=FaultsOut, responses=_FAULT_RESPONSES)
def clear_faults(ctx: Ctx, admin: AdminUser) -> FaultsOut:
    """Stop injecting faults."""
    ctx.faults.error_rate = 0.0
    ctx.faults.latency_ms = 0
    return _faults_out(ctx)
