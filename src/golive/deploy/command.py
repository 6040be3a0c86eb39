"""The ``command`` driver: any deploy tool, driven by the command lines in the config.

``deploy`` and ``rollback`` are run with ``VERSION`` (and ``PREVIOUS_VERSION`` when known)
in their environment and as ``${VERSION}`` / ``${PREVIOUS_VERSION}`` in their arguments; a
non-zero exit or a timeout is a failed deploy. ``status`` (optional) prints the running
version as its last line. Only the rolling strategy is possible: traffic splitting is the
tool's business.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from golive import _interpolate
from golive._process import ProcessResult, build_argv, run_process
from golive.checks._common import excerpt
from golive.deploy.base import DeployError, DriverState, Release, RollingOnlyDriver, Strategy
from golive.deploy.config import CommandDriverConfig, CommandLine


class CommandDriver(RollingOnlyDriver):
    """Runs the configured deploy / rollback / status commands."""

    name: ClassVar[str] = "command"
    unsupported_reason: ClassVar[str] = "the command driver supports the rolling strategy only"
    strategies: ClassVar[frozenset[Strategy]] = frozenset({Strategy.ROLLING})

    def __init__(
        self, config: CommandDriverConfig, *, workdir: Path, environ: Mapping[str, str] | None = None
    ) -> None:
        """Commands run in ``workdir`` (the spec's directory)."""
        self.config = config
        self.workdir = workdir
        self.environ = dict(environ if environ is not None else os.environ)
        self.previous: str | None = None
        """The version running before this run's deploy (set by :meth:`deploy`)."""
        self.ran: list[ProcessResult] = []
        """Every command this driver ran, for the deploy report."""

    def _values(self, release: Release | None) -> dict[str, str]:
        values = dict(self.environ)
        if release is not None:
            values["VERSION"] = release.version
        if self.previous is not None:
            values["PREVIOUS_VERSION"] = self.previous
        return values

    def _argv(self, command: CommandLine, values: Mapping[str, str]) -> tuple[str, ...]:
        try:
            if isinstance(command, str):
                return build_argv(_interpolate.resolve(command, values), shell=True)
            return tuple(_interpolate.resolve(a, values) for a in command)
        except _interpolate.MissingVariableError as exc:
            raise DeployError(str(exc)) from None

    async def _run(self, what: str, command: CommandLine, release: Release | None) -> ProcessResult:
        values = self._values(release)
        env = {k: v for k, v in values.items() if k in ("VERSION", "PREVIOUS_VERSION")}
        env.update({k: _interpolate.resolve(v, values) for k, v in self.config.env.items()})
        argv = self._argv(command, values)
        result = await run_process(list(argv), cwd=self.workdir, env=env, timeout=self.config.timeout)
        self.ran.append(result)
        if result.timed_out:
            raise DeployError(
                f"{what} command timed out after {self.config.timeout:g}s: {result.command_line}"
            )
        if result.returncode != 0:
            raise DeployError(
                f"{what} command failed (exit {result.returncode}): {result.command_line}\n"
                f"{excerpt(result.stderr or result.stdout, 1500)}"
            )
        return result

    async def state(self) -> DriverState:
        """The running version according to the status command (unknown without one)."""
        if self.config.status is None:
            return DriverState(stable=None)
        result = await self._run("status", self.config.status, None)
        lines = [ln.strip() for ln in result.stdout.splitlines() if ln.strip()]
        return DriverState(stable=Release(version=lines[-1]) if lines else None)

    def plan(self, release: Release, strategy: Strategy) -> list[str]:
        """The deploy and rollback command lines with the version filled in."""
        values = self._values(release)
        values.setdefault("PREVIOUS_VERSION", "<previous>")
        return [
            f"deploy: {shlex.join(self._argv(self.config.deploy, values))}",
            f"on failure, rollback: {shlex.join(self._argv(self.config.rollback, values))}",
        ]

    async def deploy(self, release: Release) -> None:
        """Run the deploy command."""
        await self._run("deploy", self.config.deploy, release)

    async def rollback(self, release: Release | None) -> None:
        """Run the rollback command (``VERSION`` is the version to go back to)."""
        if release is not None:
            self.previous = release.version
        await self._run("rollback", self.config.rollback, release)

    async def close(self) -> None:
        """Nothing held."""
