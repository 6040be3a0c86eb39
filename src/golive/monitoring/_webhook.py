"""The webhook receiver golive runs on loopback during an alert drill.

Alertmanager delivers notifications here exactly as it would to a pager integration, so the
drill proves the whole path: rule → Prometheus → Alertmanager route → receiver.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from aiohttp import web

from golive.monitoring.base import MonitoringError


@dataclass(frozen=True, kw_only=True)
class NotifiedAlert:
    """One alert inside a notification."""

    name: str
    status: str
    labels: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class Notification:
    """One webhook delivery from Alertmanager."""

    received_at: float
    path: str
    receiver: str
    status: str
    alerts: tuple[NotifiedAlert, ...]

    def has(self, alert: str, status: str) -> bool:
        """True when the notification carries ``alert`` in ``status`` (firing/resolved)."""
        return any(a.name == alert and a.status == status for a in self.alerts)


def _parse(body: object, path: str) -> Notification:
    data = body if isinstance(body, dict) else {}
    alerts = []
    for item in data.get("alerts") or []:
        if isinstance(item, dict):
            labels = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
            alerts.append(
                NotifiedAlert(
                    name=labels.get("alertname", ""),
                    status=str(item.get("status", "")),
                    labels=labels,
                )
            )
    return Notification(
        received_at=time.monotonic(),
        path=path,
        receiver=str(data.get("receiver", "")),
        status=str(data.get("status", "")),
        alerts=tuple(alerts),
    )


class WebhookReceiver:
    """An aiohttp server on ``host:port`` that records Alertmanager webhook posts.

    Use as ``async with WebhookReceiver("127.0.0.1", port) as hook: ...``.
    """

    def __init__(self, host: str, port: int) -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise MonitoringError(f"the drill webhook listens on loopback only, not {host!r}")
        self.host = host
        self.port = port
        self.notifications: list[Notification] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL of the receiver."""
        return f"http://{self.host}:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            return web.Response(status=400, text="not JSON")
        note = _parse(body, request.path)
        async with self._changed:
            self.notifications.append(note)
            self._changed.notify_all()
        return web.Response(text="ok")

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            raise MonitoringError(
                f"cannot listen on {self.host}:{self.port} for the drill webhook: {exc.strerror}"
            ) from None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(
        self, predicate: Callable[[Notification], bool], timeout: float
    ) -> Notification | None:
        """The first notification (already received or arriving) matching ``predicate``."""

        def find() -> Notification | None:
            return next((n for n in self.notifications if predicate(n)), None)

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: find() is not None), timeout)
            except TimeoutError:
                return None
            return find()
