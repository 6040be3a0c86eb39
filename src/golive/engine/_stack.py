"""Start and stop an environment's local stack around a review.

``up`` is started in its own process group and may keep running (a server) or exit 0
after starting daemons. golive waits for the health URL, and afterwards always runs
``down`` and then kills whatever is left of the ``up`` group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

from golive import _interpolate
from golive._process import build_argv, run_process, terminate_group
from golive.engine.events import Listener, StackEvent
from golive.errors import EnvironmentSetupError
from golive.spec.models import CommandLine, Environment


def _argv(command: CommandLine, environ: Mapping[str, str]) -> tuple[str, ...]:
    """argv for up/down with ``${VAR}`` references resolved (a string runs in a shell)."""
    if isinstance(command, str):
        return build_argv(_interpolate.resolve(command, environ), shell=True)
    return build_argv([_interpolate.resolve(a, environ) for a in command], shell=False)


class LocalStack:
    """An async context manager around an environment's ``up`` and ``down`` commands."""

    def __init__(
        self,
        environment: Environment,
        *,
        workdir: Path,
        log_path: Path,
        environ: Mapping[str, str],
        listener: Listener | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.environment = environment
        self.workdir = workdir
        self.log_path = log_path
        self.environ = environ
        self.listener = listener
        self.stop = stop
        self._proc: asyncio.subprocess.Process | None = None
        self._log: int | None = None

    def _emit(self, phase: str, message: str) -> None:
        if self.listener:
            self.listener(StackEvent(phase=phase, message=message))

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.environ)
        env.update({k: _interpolate.resolve(v, self.environ) for k, v in self.environment.up_env.items()})
        return env

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def __aenter__(self) -> LocalStack:
        env = self.environment
        if env.up is None:
            return self
        try:
            health = (
                _interpolate.resolve(env.base_url, self.environ).rstrip("/")
                + "/"
                + env.health_path.lstrip("/")
            )
        except _interpolate.MissingVariableError as exc:
            raise EnvironmentSetupError(f"cannot start the stack: {exc}") from exc
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            argv = _argv(env.up, self.environ)
        except _interpolate.MissingVariableError as exc:
            raise EnvironmentSetupError(f"cannot start the stack: {exc}") from exc
        self._emit("up", f"starting: {' '.join(argv)}")
        self._proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=str(self.workdir),
            env=self._env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        try:
            await self._wait_healthy(health, env.up_timeout)
        except BaseException:
            await self.close()
            raise
        return self

    async def _wait_healthy(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if self.stop is not None and self.stop.is_set():
                    raise EnvironmentSetupError("interrupted while waiting for the stack to become healthy")
                assert self._proc is not None
                if self._proc.returncode not in (None, 0):
                    raise EnvironmentSetupError(
                        f"`up` exited with code {self._proc.returncode} before {url} was healthy; "
                        f"log {self.log_path}:\n{self._log_tail()}"
                    )
                try:
                    response = await client.get(url)
                    if 200 <= response.status_code < 300:
                        self._emit("up", f"healthy: {url}")
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if time.monotonic() > deadline:
                    raise EnvironmentSetupError(
                        f"{url} not healthy within {timeout:g}s (last: {last}); "
                        f"log {self.log_path}:\n{self._log_tail()}"
                    )
                await asyncio.sleep(0.1)

    async def close(self) -> None:
        """Run ``down`` (if any), then stop what ``up`` left running. Safe to call twice."""
        env = self.environment
        if env.down is not None and self._proc is not None:
            self._emit("down", "running down")
            with contextlib.suppress(OSError, _interpolate.MissingVariableError):
                result = await run_process(
                    list(_argv(env.down, self.environ)), cwd=self.workdir, env=self._env(), timeout=60
                )
                if result.returncode != 0:
                    self._emit("down", f"`down` exited with {result.returncode}: {result.stderr[-500:]}")
        if self._proc is not None:
            await terminate_group(self._proc, grace_s=10.0)
            self._emit("down", "stack stopped")
            self._proc = None
        if self._log is not None:
            os.close(self._log)
            self._log = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Shielded so that a cancellation (Ctrl-C) cannot skip the teardown.
        await asyncio.shield(self.close())
