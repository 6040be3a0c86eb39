"""The ``kubernetes`` driver: ``kubectl`` command lines for a rolling deploy and its rollback.

Deploy: ``kubectl apply -f`` for each configured manifest, ``kubectl set image`` on the
Deployment, then ``kubectl rollout status --timeout`` (a rollout that does not finish in
time is a failed deploy). Automatic rollback: ``kubectl rollout undo`` plus another
``rollout status``; a manual rollback to a named version sets that image.

This driver has been tested against the command lines it builds and the manifests it
applies (validated offline), not against a live cluster.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import ClassVar

from golive.deploy.base import DeployError, DriverState, Release, RollingOnlyDriver, Strategy
from golive.deploy.config import KubernetesDriverConfig
from golive.kit.environment import MissingVariableError, Variables
from golive.kit.processes import run_process
from golive.kit.text import excerpt


class KubernetesDriver(RollingOnlyDriver):
    """Drives one Deployment with kubectl."""

    name: ClassVar[str] = "kubernetes"
    unsupported_reason: ClassVar[str] = (
        "the kubernetes driver supports the rolling strategy only (canary and blue-green need a "
        "traffic router, which golive does not drive yet)"
    )
    strategies: ClassVar[frozenset[Strategy]] = frozenset({Strategy.ROLLING})

    def __init__(
        self, config: KubernetesDriverConfig, *, workdir: Path, variables: Variables | None = None
    ) -> None:
        """Manifests are relative to ``workdir`` (the spec's directory); ``variables`` resolve
        ``${VAR}`` in the image reference."""
        self.config = config
        self.workdir = workdir
        self.variables = variables or Variables.for_process()
        self.commands: list[list[str]] = []
        """Every command line run, in order (the deploy report and the tests read it)."""
        self._rolled_out = False

    def _kubectl(self, *args: str) -> list[str]:
        c = self.config
        argv = [c.kubectl]
        if c.context:
            argv += ["--context", c.context]
        return [*argv, "--namespace", c.namespace, *args]

    def image(self, version: str) -> str:
        """The image reference of a version."""
        try:
            return self.variables.with_vars({"VERSION": version}).resolve(self.config.image)
        except MissingVariableError as exc:
            raise DeployError(str(exc)) from None

    def _target(self) -> str:
        return f"deployment/{self.config.deployment}"

    def apply_commands(self) -> list[list[str]]:
        """``kubectl apply -f`` for each manifest."""
        return [self._kubectl("apply", "-f", str(self.manifest_path(m))) for m in self.config.manifests]

    def manifest_path(self, manifest: str) -> Path:
        """A manifest's path (relative ones are relative to the spec's directory)."""
        p = Path(manifest)
        return p if p.is_absolute() else self.workdir / p

    def set_image_command(self, version: str) -> list[str]:
        """``kubectl set image deployment/D container=image:version``."""
        return self._kubectl("set", "image", self._target(), f"{self.config.container}={self.image(version)}")

    def rollout_status_command(self) -> list[str]:
        """``kubectl rollout status deployment/D --timeout=Ns``."""
        return self._kubectl(
            "rollout", "status", self._target(), f"--timeout={max(1, round(self.config.rollout_timeout))}s"
        )

    def rollout_undo_command(self) -> list[str]:
        """``kubectl rollout undo deployment/D``."""
        return self._kubectl("rollout", "undo", self._target())

    async def _run(self, argv: list[str], timeout: float | None = None) -> str:
        self.commands.append(argv)
        result = await run_process(
            argv, cwd=self.workdir, timeout=timeout or self.config.rollout_timeout + 30
        )
        if result.timed_out or result.returncode != 0:
            why = "timed out" if result.timed_out else f"exit {result.returncode}"
            raise DeployError(
                f"{shlex.join(argv)} failed ({why}): {excerpt(result.stderr or result.stdout, 1500)}"
            )
        return result.stdout

    async def state(self) -> DriverState:
        """The version from the Deployment's current image tag (unknown if kubectl fails)."""
        jsonpath = f'{{.spec.template.spec.containers[?(@.name=="{self.config.container}")].image}}'
        try:
            out = await self._run(self._kubectl("get", self._target(), "-o", f"jsonpath={jsonpath}"), 30)
        except DeployError:
            return DriverState(stable=None)
        image = out.strip()
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
        return DriverState(stable=Release(version=tag) if tag else None)

    def plan(self, release: Release, strategy: Strategy) -> list[str]:
        """The kubectl command lines of a deploy, and of its automatic rollback."""
        lines = [shlex.join(a) for a in self.apply_commands()]
        lines += [
            shlex.join(self.set_image_command(release.version)),
            shlex.join(self.rollout_status_command()),
        ]
        lines.append("on failure: " + shlex.join(self.rollout_undo_command()))
        return lines

    async def deploy(self, release: Release) -> None:
        """Apply manifests, set the image, wait for the rollout."""
        for argv in self.apply_commands():
            await self._run(argv)
        await self._run(self.set_image_command(release.version))
        self._rolled_out = True
        await self._run(self.rollout_status_command())

    async def rollback(self, release: Release | None) -> None:
        """Undo this run's rollout, or set the image of ``release`` (manual rollback)."""
        if self._rolled_out or release is None:
            await self._run(self.rollout_undo_command())
        else:
            await self._run(self.set_image_command(release.version))
        await self._run(self.rollout_status_command())

    async def close(self) -> None:
        """Nothing held."""
