"""Start and stop an environment's local stack around a review.

``up`` is started in its own process group and may keep running (a server) or exit 0
after starting daemons. golive waits for the health URL, and afterwards always runs
``down`` and then kills whatever is left of the ``up`` group, and every process ``up``
started in a session of its own (found by its marker). A stack left by a review that died
is reaped by the next ``up`` (see :mod:`golive.engine._stale`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from golive.engine import _stale
from golive.engine.events import Listener, StackEvent
from golive.errors import EnvironmentSetupError
from golive.kit.environment import MissingVariableError, Variables
from golive.kit.masking import Masker
from golive.kit.processes import CommandLine, ManagedProcess, ProcessStartError, http_probe, run_process
from golive.spec.models import Environment


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
        masker: Masker | None = None,
    ) -> None:
        self.environment = environment
        self.workdir = workdir
        self.log_path = log_path
        self.variables = Variables(environ=environ, vars=environment.vars)
        self.listener = listener
        self.masker = masker or Masker()
        self.stop = stop
        self._proc: ManagedProcess | None = None
        self._record: Path | None = None

    def _emit(self, phase: str, message: str) -> None:
        if self.listener:
            # The resolved up/down command lines carry the review's secrets.
            self.listener(StackEvent(phase=phase, message=self.masker.mask(message)))

    def _argv(self, command: CommandLine) -> tuple[str, ...]:
        """argv with ``${VAR}`` references resolved (a string runs in a shell)."""
        if isinstance(command, str):
            return ("/bin/sh", "-c", self.variables.resolve(command))
        return tuple(self.variables.resolve(a) for a in command)

    def _env(self) -> dict[str, str]:
        """What up/down see on top of golive's environment: the review's variables and ``up_env``."""
        return {
            **self.variables.environ,
            **{k: self.variables.resolve(v) for k, v in self.environment.up_env.items()},
        }

    async def __aenter__(self) -> LocalStack:
        env = self.environment
        if env.up is None:
            return self
        if not env.base_url:  # the loader refuses this spec; a spec built in code may still try
            raise EnvironmentSetupError("cannot start the stack: `up` needs base_url to wait for health")
        try:
            health = self.variables.resolve(env.base_url).rstrip("/") + "/" + env.health_path.lstrip("/")
            argv = self._argv(env.up)
            child_env = self._env()
        except MissingVariableError as exc:
            raise EnvironmentSetupError(f"cannot start the stack: {exc}") from exc
        self._emit("up", f"starting: {' '.join(argv)}")
        # A stack left by a review that died would hold the ports this one needs.
        for marker in await asyncio.to_thread(_stale.reap, self.workdir):
            self._emit("up", f"stopped a stale stack left by an earlier review ({marker})")
        try:
            self._proc = ManagedProcess.start(
                argv, log=self.log_path, name="up", cwd=self.workdir, env=child_env
            )
            self._record = _stale.record(self.workdir, self._proc)
            await self._proc.wait_healthy(
                http_probe(health), timeout=env.up_timeout, what=health, may_exit=True, stop=self.stop
            )
        except ProcessStartError as exc:
            await self.close()
            raise EnvironmentSetupError(str(exc)) from None
        except BaseException:
            await self.close()
            raise
        self._emit("up", f"healthy: {health}")
        return self

    async def close(self) -> None:
        """Run ``down`` (if any), then stop what ``up`` left running. Safe to call twice."""
        env = self.environment
        if env.down is not None and self._proc is not None:
            self._emit("down", "running down")
            with contextlib.suppress(OSError, MissingVariableError):
                result = await run_process(
                    self._argv(env.down), cwd=self.workdir, env=self._env(), timeout=60
                )
                if result.returncode != 0:
                    self._emit("down", f"`down` exited with {result.returncode}: {result.stderr[-500:]}")
        if self._proc is not None:
            await self._proc.stop(grace_s=10.0)
            self._emit("down", "stack stopped")
            self._proc = None
        if self._record is not None:
            self._record.unlink(missing_ok=True)
            self._record = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Shielded so that a cancellation (Ctrl-C) cannot skip the teardown.
        await asyncio.shield(self.close())
