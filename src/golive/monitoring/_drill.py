"""``alert.drill``: inject a fault, watch the alert fire and reach a receiver, remove the fault.

The fault is removed in a ``finally`` that survives cancellation (Ctrl-C, a timeout): removal
runs as its own task and is awaited through :func:`asyncio.shield` until it has finished
(see :func:`golive.monitoring._fault.remove_always`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError
from golive.kit.prometheus import PrometheusClient, PrometheusError
from golive.monitoring._drill_record import DrillRecord, drill_outcome
from golive.monitoring._fault import StepFault, remove_always
from golive.monitoring._params import DrillParams
from golive.monitoring._prom_config import global_intervals
from golive.monitoring._support import prometheus
from golive.monitoring._traffic import Traffic, send, stop
from golive.monitoring._webhook import Notification, WebhookReceiver
from golive.monitoring.base import Fault, MonitoringError
from golive.results import Outcome, Status


def _matches(labels: Mapping[str, str], name: str, extra: Mapping[str, str]) -> bool:
    return labels.get("alertname") == name and all(labels.get(k) == v for k, v in extra.items())


class AlertDrillCheck:
    """Prove an alert fires and is delivered when the fault it guards against happens."""

    #: Disrupts the service (faults, bursts of traffic): the engine runs it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "alert.drill"
    description: ClassVar[str] = (
        "Inject a fault, measure time-to-detect (Prometheus) and time-to-notify (Alertmanager "
        "to a golive webhook), always remove the fault, check the alert resolves."
    )
    Params: ClassVar[type[DrillParams]] = DrillParams
    #: Sends its traffic and faults to paths joined to base_url.
    needs_base_url: ClassVar[bool] = True

    async def run(self, params: DrillParams, ctx: CheckContext) -> Outcome:
        """Run the drill; the fault is removed whatever happens."""
        _guard_targets(params, ctx)
        api = prometheus(ctx, self.name, timeout=10.0)
        webhook = ctx.resolve(params.webhook)
        host, _, port_text = webhook.rpartition(":")
        if not port_text.isdigit():
            given = f"{params.webhook!r}" + (f" = {webhook!r}" if webhook != params.webhook else "")
            raise CheckError(f"webhook must be host:port, got {given}")
        try:
            loaded = await api.alert_rules()
            refusal = await _refusal(params, api, loaded)
        except PrometheusError as exc:
            raise CheckError(str(exc)) from None
        if refusal is not None:
            return refusal
        quiet = await _baseline(params, ctx, api)
        if quiet is not None:
            return quiet
        drill = _Drill(params=params, ctx=ctx, api=api, for_s=loaded[params.alert])
        record = await drill.run(host or "127.0.0.1", int(port_text))
        reproducer = (
            f"golive review --only {ctx.criterion_id} --env {ctx.environment_name}   "
            f"# then: {api.reproducer('alerts')}"
        )
        return drill_outcome(params, ctx, record, reproducer)


def _guard_targets(params: DrillParams, ctx: CheckContext) -> None:
    """Refuse (CheckError) before any fault when a request would leave loopback/allow_hosts."""
    paths = [params.traffic.path] if params.traffic is not None else []
    for step in (params.fault.inject, params.fault.remove):
        if step.http is not None:
            paths.append(step.http.path)
            if step.http.login is not None:
                paths.append(step.http.login.path)
    for path in paths:
        ctx.require_target(ctx.url(path), what="drill traffic and fault injection")


async def _refusal(params: DrillParams, api: PrometheusClient, loaded: Mapping[str, float]) -> Outcome | None:
    """A FAIL before any fault when the drill could not measure anything, else None."""
    if params.alert not in loaded:
        close = ", ".join(sorted(loaded)[:10]) or "none"
        return Outcome(
            status=Status.FAIL,
            summary=f"alert {params.alert!r} is not loaded in Prometheus (loaded alerts: {close})",
            reproducer=api.reproducer("rules"),
        )
    for alert in await api.alerts():
        if _matches(alert.labels, params.alert, params.match_labels):
            return Outcome(
                status=Status.FAIL,
                summary=f"alert {params.alert} is already {alert.state} before the "
                "fault; the drill cannot measure detection",
                reproducer=api.reproducer("alerts"),
            )
    return None


async def _baseline(params: DrillParams, ctx: CheckContext, api: PrometheusClient) -> Outcome | None:
    """golive's traffic without the fault: the alert must stay quiet (a FAIL when it does not).

    The drill's traffic starts with the fault, so an alert that fires on any traffic (a rate
    of all requests instead of errors) would otherwise pass as if it had seen the fault.
    """
    if params.traffic is None or params.baseline == 0:
        return None
    try:
        if params.baseline is not None:
            seconds = params.baseline
        else:
            intervals = await global_intervals(api)
            seconds = min(120.0, 2 * (intervals.scrape_s + intervals.evaluation_s))
        async with Traffic(ctx=ctx, params=params.traffic) as traffic:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                for alert in await api.alerts():
                    if _matches(alert.labels, params.alert, params.match_labels):
                        return Outcome(
                            status=Status.FAIL,
                            summary=f"alert {params.alert} went {alert.state} under golive's healthy "
                            f"traffic before any fault ({traffic.describe()} in {seconds:g}s): it "
                            "fires on traffic, not on the fault",
                            reproducer=api.reproducer("alerts"),
                        )
                await asyncio.sleep(params.poll_interval)
    except PrometheusError as exc:
        raise CheckError(str(exc)) from None
    return None


class _Drill:
    """One drill run: inject, watch Prometheus and the webhook, remove, wait for resolution."""

    def __init__(
        self, *, params: DrillParams, ctx: CheckContext, api: PrometheusClient, for_s: float
    ) -> None:
        self.params = params
        self.ctx = ctx
        self.api = api
        #: The rule's ``for``: Prometheus fires ``for_s`` after the alert became active.
        self.for_s = for_s
        self.record = DrillRecord()
        self.fault: Fault = StepFault(params.fault, ctx)

    async def run(self, host: str, port: int) -> DrillRecord:
        """The whole drill; the fault is removed and the traffic stopped whatever happens."""
        params, record = self.params, self.record
        traffic: asyncio.Task[None] | None = None
        async with WebhookReceiver(host, port) as hook:
            if params.traffic is not None:
                traffic = asyncio.create_task(send(self.ctx, params.traffic, record.traffic))
            try:
                try:
                    await self._inject_and_watch(hook)
                finally:
                    await self._remove()
                    # Traffic keeps the error ratio defined while the alert resolves.
                    if params.resolve_within <= 0 or record.problems:
                        await stop(traffic)
                if params.resolve_within > 0 and record.detected is not None:
                    record.resolved = await self._wait_resolved()
                    if record.resolved is not None:
                        record.note(f"{params.alert} resolved in Prometheus")
            finally:
                await stop(traffic)
            if any(n.has(params.alert, "resolved") for n in hook.notifications):
                record.note("webhook notified: resolved")
        return record

    def _firing(self, notification: Notification) -> bool:
        params = self.params
        return any(
            a.status == "firing" and _matches(a.labels, params.alert, params.match_labels)
            for a in notification.alerts
        )

    async def _inject_and_watch(self, hook: WebhookReceiver) -> None:
        """Inject the fault, then wait for the webhook and for Prometheus to fire the alert."""
        params, record = self.params, self.record
        try:
            note = await self.fault.inject()
        except MonitoringError as exc:
            raise CheckError(f"could not inject the fault: {exc}") from None
        record.t0 = record.note(f"fault injected: {note}")
        detect = asyncio.create_task(self._detect(record.t0, time.time()))
        try:
            record.notified = await hook.wait_for(self._firing, params.notify_within)
            if record.notified is not None:
                record.note(
                    f"webhook notified: receiver {record.notified.receiver!r}, path {record.notified.path}"
                )
            left = max(0.0, record.t0 + params.detect_within - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(detect), left)
        finally:
            detect.cancel()
            with contextlib.suppress(asyncio.CancelledError, PrometheusError):
                await detect

    async def _detect(self, t0: float, t0_wall: float) -> None:
        """Poll Prometheus' alerts until ours fires; note when it was pending and firing."""
        params, record = self.params, self.record
        while True:
            for alert in await self.api.alerts():
                if not _matches(alert.labels, params.alert, params.match_labels):
                    continue
                if alert.state == "pending" and not record.pending_seen:
                    record.pending_seen = True
                    record.note(f"{params.alert} pending in Prometheus")
                if alert.state == "firing":
                    seen = record.note(f"{params.alert} firing in Prometheus")
                    record.detected = seen
                    if alert.active_at is not None:
                        # Prometheus' own evaluation time beats our poll period.
                        fired_wall = alert.active_at.timestamp() + self.for_s
                        record.detected = min(seen, t0 + max(0.0, fired_wall - t0_wall))
                    return
            await asyncio.sleep(params.poll_interval)

    async def _remove(self) -> None:
        """Remove the fault (even when cancelled); a failed removal is the drill's problem."""
        record = self.record
        try:
            removed = await remove_always(self.fault.remove)
            record.note(f"fault removed: {removed}")
        except MonitoringError as exc:
            record.problems.append(f"the fault could NOT be removed: {exc}")
            record.note(f"fault removal FAILED: {exc}")

    async def _wait_resolved(self) -> float | None:
        """When our alert left Prometheus' active alerts, or None after ``resolve_within``."""
        params = self.params
        deadline = time.monotonic() + params.resolve_within
        while time.monotonic() < deadline:
            with contextlib.suppress(PrometheusError):
                alerts = await self.api.alerts()
                if not any(_matches(a.labels, params.alert, params.match_labels) for a in alerts):
                    return time.monotonic()
            await asyncio.sleep(params.poll_interval)
        return None
