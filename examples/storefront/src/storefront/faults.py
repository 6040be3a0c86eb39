"""Fault injection for alert and deploy drills: a share of requests fail and/or get slower.

Active only if configured: ``FAULT_ERROR_RATE`` / ``FAULT_LATENCY_MS`` at startup (to launch a
deliberately bad version) or the admin ``/admin/faults`` endpoints, which exist only when
``FAULT_INJECTION_ENABLED=true``. Probes and metrics are never faulted.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from storefront import metrics
from storefront.errors import error_body

log = logging.getLogger("storefront.faults")

EXEMPT_PREFIXES = ("/healthz", "/readyz", "/metrics", "/version", "/admin/faults", "/static/")


@dataclass
class FaultState:
    """Current fault settings (mutable at runtime through the admin endpoint)."""

    error_rate: float = 0.0
    latency_ms: int = 0

    @property
    def active(self) -> bool:
        """Whether any fault is configured."""
        return self.error_rate > 0 or self.latency_ms > 0


class FaultInjectionMiddleware:
    """Adds latency and/or a 500 before the request reaches the application."""

    def __init__(self, app: ASGIApp, state: FaultState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Maybe inject, then pass through."""
        if scope["type"] != "http" or not self.state.active:
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self.state.latency_ms:
            metrics.FAULTS_INJECTED.labels("latency").inc()
            await asyncio.sleep(self.state.latency_ms / 1000)
        if random.random() < self.state.error_rate:  # noqa: S311 - simulation
            metrics.FAULTS_INJECTED.labels("error").inc()
            from starlette.responses import JSONResponse

            response = JSONResponse(
                error_body("injected_fault", "Injected fault (drill)"), status_code=500
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
