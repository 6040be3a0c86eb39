"""The ``command`` driver: any deploy tool, driven by the command lines in the config.

``deploy`` and ``rollback`` are run with ``VERSION`` (and ``PREVIOUS_VERSION`` when known)
in their environment and as ``${VERSION}`` / ``${PREVIOUS_VERSION}`` in their arguments; a
non-zero exit or a timeout is a failed deploy. ``status`` (optional) prints the running
version as its last line. Only the rolling strategy is possible: traffic splitting is the
tool's business.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection
from pathlib import Path
from typing import ClassVar

from golive.deploy.base import DeployError, DriverState, Release, RollingOnlyDriver, Strategy
from golive.deploy.config import CommandDriverConfig, CommandLine
from golive.kit.environment import MissingVariableError, Variables
from golive.kit.processes import ProcessResult, build_argv, resolve_command, run_process
from golive.kit.text import excerpt


class CommandDriver(RollingOnlyDriver):
    """Runs the configured deploy / rollback / status commands."""

    name: ClassVar[str] = "command"
    unsupported_reason: ClassVar[str] = "the command driver supports the rolling strategy only"
    strategies: ClassVar[frozenset[Strategy]] = frozenset({Strategy.ROLLING})

    def __init__(
        self, config: CommandDriverConfig, *, workdir: Path, variables: Variables | None = None
    ) -> None:
        """Commands run in ``workdir`` (the spec's directory); ``variables`` resolve ``${VAR}``."""
        self.config = config
        self.workdir = workdir
        self.variables = variables or Variables.for_process()
        self.previous: str | None = None
        """The version a rollback returned to (``PREVIOUS_VERSION`` from then on)."""
        self.ran: list[ProcessResult] = []
        """Every command this driver ran, for the deploy report."""

    def _set(self, release: Release | None) -> dict[str, str]:
        """``VERSION`` and ``PREVIOUS_VERSION``, where known: set for the command and its line."""
        values: dict[str, str] = {}
        if release is not None:
            values["VERSION"] = release.version
        if self.previous is not None:
            values["PREVIOUS_VERSION"] = self.previous
        return values

    def _argv(
        self, command: CommandLine, values: Variables, from_env: Collection[str] = ()
    ) -> tuple[str, ...]:
        try:
            if isinstance(command, str):
                # A version may come from a status command's output: the shell reads it from
                # the environment, it is never pasted into the command line.
                return build_argv(resolve_command(values, command, from_env=from_env), shell=True)
            return tuple(values.resolve(a) for a in command)
        except MissingVariableError as exc:
            raise DeployError(str(exc)) from None

    async def _run(self, what: str, command: CommandLine, release: Release | None) -> ProcessResult:
        env = self._set(release)
        values = self.variables.with_vars(env)
        try:
            env.update({k: values.resolve(v) for k, v in self.config.env.items()})
        except MissingVariableError as exc:
            raise DeployError(str(exc)) from None
        argv = self._argv(command, values, from_env=self._set(release))
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
        values = self.variables.with_vars({"PREVIOUS_VERSION": "<previous>", **self._set(release)})
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
