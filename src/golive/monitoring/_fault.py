"""The fault an ``alert.drill`` switches on and off, and the removal that survives cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from golive.kit.check import CheckContext
from golive.kit.text import excerpt, redact
from golive.monitoring._params import FaultParams, HttpStepParams, LoginParams, StepParams
from golive.monitoring.base import MonitoringError


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
        if step.http is not None:
            return await self._http(step.http)
        ctx = self._ctx
        command: str | list[str]
        if isinstance(step.command, str):
            command = ctx.resolve(step.command)
        else:
            command = [ctx.resolve(a) for a in step.command or []]
        env = {k: ctx.resolve(v) for k, v in step.env.items()}
        result = await ctx.run(command, shell=step.shell, env=env, timeout=60.0)
        if result.timed_out or result.returncode != 0:
            raise MonitoringError(
                f"`{redact(result.command_line)}` exited {result.returncode}: "
                + excerpt(result.stderr or result.stdout, 300)
            )
        return f"`{redact(result.command_line)}` exited 0"

    async def _token(self, login: LoginParams) -> str:
        """A bearer token from the login endpoint (once per endpoint and drill)."""
        if login.path in self._tokens:
            return self._tokens[login.path]
        ctx = self._ctx
        answer = await ctx.http.post(
            ctx.url(login.path), json=ctx.variables.resolve_tree(login.json_body), timeout=30.0
        )
        if answer.status_code != 200:
            raise MonitoringError(f"login at {login.path} answered HTTP {answer.status_code}")
        token = answer.json().get(login.token_field)
        if not isinstance(token, str):
            raise MonitoringError(f"login answer has no {login.token_field!r}")
        self._tokens[login.path] = token
        return token

    async def _http(self, step: HttpStepParams) -> str:
        ctx = self._ctx
        headers = {k: ctx.resolve(v) for k, v in step.headers.items()}
        try:
            if step.login is not None:
                headers["Authorization"] = f"Bearer {await self._token(step.login)}"
            response = await ctx.http.request(
                step.method,
                ctx.url(step.path),
                headers=headers,
                json=ctx.variables.resolve_tree(step.json_body) if step.json_body is not None else None,
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


async def remove_always(remove: Callable[[], Awaitable[str]]) -> str:
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
