"""``alert.drill``: inject a fault, watch the alert fire and reach a receiver, remove the fault.

The fault is removed in a ``finally`` that survives cancellation (Ctrl-C, a timeout): removal
runs as its own task and is awaited through :func:`asyncio.shield` until it has finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx
from pydantic import Field, model_validator

from golive.checks._common import excerpt, redact
from golive.checks.base import CheckContext, CheckError, Params
from golive.monitoring._promapi import PrometheusAPI
from golive.monitoring._webhook import Notification, WebhookReceiver
from golive.monitoring.base import MonitoringError
from golive.results import Evidence, Measurement, Outcome, Status
from golive.spec._duration import Duration, format_duration


class LoginParams(Params):
    """Obtain a bearer token before an HTTP fault step."""

    path: str = Field(description="Login endpoint, joined to base_url.")
    json_body: dict[str, Any] = Field(alias="json", description="Credentials; ${VAR} allowed.")
    token_field: str = Field(default="access_token", description="Field of the JSON answer.")

    model_config = {**Params.model_config, "populate_by_name": True}


class HttpStepParams(Params):
    """An HTTP request that switches a fault on or off."""

    method: str = Field(default="POST", pattern=r"^(GET|POST|PUT|PATCH|DELETE)$")
    path: str = Field(description="Path joined to base_url, or a full URL.")
    headers: dict[str, str] = Field(default_factory=dict, description="${VAR} allowed.")
    json_body: Any = Field(default=None, alias="json")
    expect_status: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])
    login: LoginParams | None = None

    model_config = {**Params.model_config, "populate_by_name": True}


class StepParams(Params):
    """Either a command or an HTTP request."""

    command: list[str] | str | None = Field(default=None, description="argv, or a shell string.")
    shell: bool = False
    env: dict[str, str] = Field(default_factory=dict)
    http: HttpStepParams | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> StepParams:
        if (self.command is None) == (self.http is None):
            raise ValueError("give exactly one of command or http")
        if isinstance(self.command, str) and not self.shell:
            raise ValueError("a string command runs through a shell: set shell: true")
        return self


class FaultParams(Params):
    """How to switch the fault on and off."""

    description: str = Field(default="", description="What the fault does, for the report.")
    inject: StepParams
    remove: StepParams


class TrafficParams(Params):
    """Requests golive sends during the drill so that error ratios have a denominator."""

    path: str = "/"
    method: str = Field(default="GET", pattern=r"^(GET|HEAD|POST)$")
    rps: float = Field(default=20.0, gt=0, le=500)


class DrillParams(Params):
    """Params of the ``alert.drill`` check."""

    alert: str = Field(description="Name of the alert that must fire.")
    match_labels: dict[str, str] = Field(default_factory=dict, description="Extra labels to match.")
    fault: FaultParams
    traffic: TrafficParams | None = None
    webhook: str = Field(
        default="127.0.0.1:9095",
        description="host:port golive listens on; Alertmanager's receivers must post here.",
    )
    detect_within: Duration = Field(default=120.0, gt=0, description="Target time-to-detect.")
    notify_within: Duration = Field(default=180.0, gt=0, description="Target time-to-notify.")
    resolve_within: Duration = Field(
        default=300.0, ge=0, description="How long the alert may take to resolve; 0: don't wait."
    )
    poll_interval: Duration = Field(default=0.25, gt=0)


def _resolve_deep(value: Any, ctx: CheckContext) -> Any:
    if isinstance(value, str):
        return ctx.resolve(value)
    if isinstance(value, dict):
        return {k: _resolve_deep(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_deep(v, ctx) for v in value]
    return value


class StepFault:
    """A fault made of two steps (commands or HTTP requests) run through the check context."""

    def __init__(self, params: FaultParams, ctx: CheckContext) -> None:
        self.description = params.description or "fault from the spec"
        self._params = params
        self._ctx = ctx
        # The login endpoint is usually behind the very fault being injected, so the token
        # from the inject step is reused to remove it.
        self._tokens: dict[str, str] = {}

    async def inject(self) -> str:
        """Run the inject step."""
        return await self._step(self._params.inject)

    async def remove(self) -> str:
        """Run the remove step."""
        return await self._step(self._params.remove)

    async def _step(self, step: StepParams) -> str:
        ctx = self._ctx
        if step.command is not None:
            command: str | list[str]
            if isinstance(step.command, str):
                command = ctx.resolve(step.command)
            else:
                command = [ctx.resolve(a) for a in step.command]
            env = {k: ctx.resolve(v) for k, v in step.env.items()}
            result = await ctx.run(command, shell=step.shell, env=env, timeout=60.0)
            if result.timed_out or result.returncode != 0:
                raise MonitoringError(
                    f"`{redact(result.command_line)}` exited {result.returncode}: "
                    + excerpt(result.stderr or result.stdout, 300)
                )
            return f"`{redact(result.command_line)}` exited 0"
        assert step.http is not None  # the validator guarantees one kind
        return await self._http(step.http)

    async def _http(self, step: HttpStepParams) -> str:
        ctx = self._ctx
        headers = {k: ctx.resolve(v) for k, v in step.headers.items()}
        try:
            if step.login is not None and step.login.path in self._tokens:
                headers["Authorization"] = f"Bearer {self._tokens[step.login.path]}"
            elif step.login is not None:
                login = await ctx.http.post(
                    ctx.url(step.login.path),
                    json=_resolve_deep(step.login.json_body, ctx),
                    timeout=30.0,
                )
                if login.status_code != 200:
                    raise MonitoringError(
                        f"login at {step.login.path} answered HTTP {login.status_code}"
                    )
                token = login.json().get(step.login.token_field)
                if not isinstance(token, str):
                    raise MonitoringError(f"login answer has no {step.login.token_field!r}")
                self._tokens[step.login.path] = token
                headers["Authorization"] = f"Bearer {token}"
            response = await ctx.http.request(
                step.method,
                ctx.url(step.path),
                headers=headers,
                json=_resolve_deep(step.json_body, ctx) if step.json_body is not None else None,
                timeout=30.0,
            )
        except httpx.HTTPError as exc:
            raise MonitoringError(f"{step.method} {step.path} failed: {exc!r}") from None
        if response.status_code not in step.expect_status:
            raise MonitoringError(
                f"{step.method} {step.path} answered HTTP {response.status_code}: "
                + excerpt(response.text, 200)
            )
        return f"{step.method} {step.path} -> {response.status_code}"


async def remove_always(remove: Any) -> str:
    """Await ``remove()`` to completion even if the caller is cancelled meanwhile.

    Cancellation is re-raised once the removal has finished, so Ctrl-C still stops the drill
    but never leaves the fault in place.
    """
    task: asyncio.Future[str] = asyncio.ensure_future(remove())
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            cancelled = True
        except Exception:  # noqa: BLE001 - the task's own error is read below
            break
    result = task.result()
    if cancelled:
        raise asyncio.CancelledError
    return result


class _Timeline:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.t0: float | None = None
        self.lines: list[str] = []

    def note(self, text: str) -> float:
        now = time.monotonic()
        base = self.t0 if self.t0 is not None else self.start
        self.lines.append(f"{now - base:+8.2f}s  {text}")
        return now


async def _traffic(ctx: CheckContext, params: TrafficParams, counts: dict[str, int]) -> None:
    url = ctx.url(params.path)
    interval = 1.0 / params.rps
    while True:
        started = time.monotonic()
        try:
            response = await ctx.http.request(params.method, url, timeout=5.0)
            key = f"{response.status_code // 100}xx"
        except httpx.HTTPError:
            key = "failed"
        counts[key] = counts.get(key, 0) + 1
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


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

    async def run(self, params: DrillParams, ctx: CheckContext) -> Outcome:
        """Run the drill; the fault is removed whatever happens."""
        if not ctx.environment.prometheus_url:
            raise CheckError("alert.drill needs the environment's prometheus_url")
        api = PrometheusAPI(ctx.http, ctx.resolve(ctx.environment.prometheus_url))
        host, _, port_text = ctx.resolve(params.webhook).rpartition(":")
        if not port_text.isdigit():
            raise CheckError(f"webhook must be host:port, got {params.webhook!r}")
        try:
            loaded = await api.alert_rules()
            if params.alert not in loaded:
                close = ", ".join(sorted(loaded)[:10]) or "none"
                return Outcome(
                    status=Status.FAIL,
                    summary=f"alert {params.alert!r} is not loaded in Prometheus "
                    f"(loaded alerts: {close})",
                    reproducer=f"curl -s {api.base_url}/api/v1/rules",
                )
            for alert in await api.alerts():
                if _matches(alert.labels, params.alert, params.match_labels):
                    return Outcome(
                        status=Status.FAIL,
                        summary=f"alert {params.alert} is already {alert.state} before the "
                        "fault; the drill cannot measure detection",
                        reproducer=f"curl -s {api.base_url}/api/v1/alerts",
                    )
        except MonitoringError as exc:
            raise CheckError(str(exc)) from None
        return await self._drill(
            params, ctx, api, host or "127.0.0.1", int(port_text), loaded[params.alert]
        )

    async def _drill(
        self,
        params: DrillParams,
        ctx: CheckContext,
        api: PrometheusAPI,
        host: str,
        port: int,
        for_s: float,
    ) -> Outcome:
        fault = StepFault(params.fault, ctx)
        timeline = _Timeline()
        counts: dict[str, int] = {}
        detected: float | None = None
        pending_seen = False
        notified: Notification | None = None
        resolved: float | None = None
        removed_note = ""
        problems: list[str] = []
        traffic: asyncio.Task[None] | None = None
        async with WebhookReceiver(host, port) as hook:
            if params.traffic is not None:
                traffic = asyncio.create_task(_traffic(ctx, params.traffic, counts))
            try:
                try:
                    note = await fault.inject()
                except MonitoringError as exc:
                    raise CheckError(f"could not inject the fault: {exc}") from None
                timeline.t0 = timeline.note(f"fault injected: {note}")
                t0 = timeline.t0
                t0_wall = time.time()

                async def detect() -> None:
                    nonlocal detected, pending_seen
                    while True:
                        for alert in await api.alerts():
                            if not _matches(alert.labels, params.alert, params.match_labels):
                                continue
                            if alert.state == "pending" and not pending_seen:
                                pending_seen = True
                                timeline.note(f"{params.alert} pending in Prometheus")
                            if alert.state == "firing":
                                seen = timeline.note(f"{params.alert} firing in Prometheus")
                                detected = seen
                                if alert.active_at is not None:
                                    # Prometheus' own evaluation time beats our poll period.
                                    fired_wall = alert.active_at.timestamp() + for_s
                                    detected = min(seen, t0 + max(0.0, fired_wall - t0_wall))
                                return
                        await asyncio.sleep(params.poll_interval)

                def firing(n: Notification) -> bool:
                    return any(
                        a.status == "firing" and _matches(a.labels, params.alert, params.match_labels)
                        for a in n.alerts
                    )

                detect_task = asyncio.create_task(detect())
                try:
                    notified = await hook.wait_for(firing, params.notify_within)
                    if notified is not None:
                        timeline.note(
                            f"webhook notified: receiver {notified.receiver!r}, path {notified.path}"
                        )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            asyncio.shield(detect_task), max(0.0, t0 + params.detect_within
                                                              - time.monotonic())
                        )
                finally:
                    detect_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, MonitoringError):
                        await detect_task
            finally:
                try:
                    removed_note = await remove_always(fault.remove)
                    timeline.note(f"fault removed: {removed_note}")
                except MonitoringError as exc:
                    problems.append(f"the fault could NOT be removed: {exc}")
                    timeline.note(f"fault removal FAILED: {exc}")
                finally:
                    if traffic is not None and (params.resolve_within <= 0 or problems):
                        traffic.cancel()
            try:
                if params.resolve_within > 0 and detected is not None:
                    resolved = await self._wait_resolved(params, api)
                    if resolved is not None:
                        timeline.note(f"{params.alert} resolved in Prometheus")
            finally:
                if traffic is not None:
                    traffic.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await traffic
            resolved_note = next(
                (n for n in hook.notifications if n.has(params.alert, "resolved")), None
            )
            if resolved_note is not None:
                timeline.note("webhook notified: resolved")
        return self._outcome(
            params, ctx, api, timeline, detected, notified, resolved, pending_seen, counts, problems
        )

    async def _wait_resolved(self, params: DrillParams, api: PrometheusAPI) -> float | None:
        deadline = time.monotonic() + params.resolve_within
        while time.monotonic() < deadline:
            with contextlib.suppress(MonitoringError):
                alerts = await api.alerts()
                if not any(_matches(a.labels, params.alert, params.match_labels) for a in alerts):
                    return time.monotonic()
            await asyncio.sleep(params.poll_interval)
        return None

    def _outcome(
        self,
        params: DrillParams,
        ctx: CheckContext,
        api: PrometheusAPI,
        timeline: _Timeline,
        detected: float | None,
        notified: Notification | None,
        resolved: float | None,
        pending_seen: bool,
        counts: dict[str, int],
        problems: list[str],
    ) -> Outcome:
        t0 = timeline.t0 or timeline.start
        measurements = []
        if detected is not None:
            ttd = detected - t0
            measurements.append(
                Measurement(
                    name="time_to_detect",
                    value=round(ttd, 2),
                    unit="s",
                    target=f"<= {format_duration(params.detect_within)}",
                )
            )
            if ttd > params.detect_within:
                problems.append(
                    f"time-to-detect {ttd:.1f}s > {format_duration(params.detect_within)}"
                )
        else:
            state = "stayed pending" if pending_seen else "never fired"
            problems.append(
                f"alert {params.alert} {state} in Prometheus within "
                f"{format_duration(params.detect_within)} of the fault"
            )
        if notified is not None:
            measurements.append(
                Measurement(
                    name="time_to_notify",
                    value=round(notified.received_at - t0, 2),
                    unit="s",
                    target=f"<= {format_duration(params.notify_within)}",
                )
            )
        else:
            problems.append(
                f"no notification for {params.alert} reached the webhook on {params.webhook} "
                f"within {format_duration(params.notify_within)} (check Alertmanager's route "
                "for its severity and that the receiver posts to the webhook)"
            )
        if params.resolve_within > 0 and detected is not None:
            if resolved is not None:
                measurements.append(
                    Measurement(
                        name="time_to_resolve",
                        value=round(resolved - t0, 2),
                        unit="s",
                        target=f"<= {format_duration(params.resolve_within)} after removal",
                    )
                )
            else:
                problems.append(
                    f"alert {params.alert} still active {format_duration(params.resolve_within)} "
                    "after the fault was removed"
                )
        if counts:
            timeline.lines.append(
                "traffic: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
            )
        text = "\n".join(timeline.lines)
        artifacts: tuple[str, ...] = ()
        with contextlib.suppress(OSError):
            ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
            path = Path(ctx.artifacts_dir) / "drill-timeline.json"
            path.write_text(
                json.dumps(
                    {
                        "alert": params.alert,
                        "fault": params.fault.description,
                        "timeline": timeline.lines,
                        "measurements": {m.name: m.value for m in measurements},
                    },
                    indent=2,
                )
            )
            artifacts = (str(path),)
        reproducer = (
            f"golive review --only {ctx.criterion_id} --env {ctx.environment_name}   "
            f"# then: curl -s {api.base_url}/api/v1/alerts"
        )
        evidence = Evidence(excerpt=excerpt(text), artifacts=artifacts)
        if problems:
            return Outcome(
                status=Status.FAIL,
                summary="; ".join(problems),
                measurements=tuple(measurements),
                evidence=evidence,
                reproducer=reproducer,
            )
        assert detected is not None and notified is not None
        summary = (
            f"{params.alert} detected in {detected - t0:.1f}s "
            f"(<= {format_duration(params.detect_within)}), notified via "
            f"{notified.receiver!r} in {notified.received_at - t0:.1f}s "
            f"(<= {format_duration(params.notify_within)})"
        )
        if resolved is not None:
            summary += f", resolved {resolved - t0:.1f}s after the fault; fault removed"
        else:
            summary += "; fault removed"
        return Outcome(
            status=Status.PASS,
            summary=summary,
            measurements=tuple(measurements),
            evidence=evidence,
            reproducer=reproducer,
        )
