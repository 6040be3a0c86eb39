"""The ``local`` driver: the service's processes on this machine behind a real nginx.

Each version runs as its own process on a free loopback port (the configured command with
``${PORT}`` and ``${VERSION}``); nginx, also started by golive, splits traffic between the
stable instance and a candidate with weighted upstreams. Canary steps rewrite the weights,
a blue-green switch moves all weight at once; each change is an ``nginx -t`` plus a graceful
``nginx -s reload``. Processes are started detached (their own sessions, no parent-death
signal) because they must outlive ``golive deploy``: what runs is remembered in ``state.json``
in the state directory so the next deploy, ``golive rollback`` and ``golive deploy --down``
find them. A recorded pid counts as running only while its command line is still the one the
instance showed when it became healthy, so a reused pid is never taken for (or stopped as) an
instance.

The driver also writes ``targets.json`` there, a Prometheus ``file_sd`` target list whose
``version`` and ``track`` labels let analysis queries pick one version's series.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx

from golive.deploy._nginx import Nginx, Upstream
from golive.deploy.base import DeployError, DriverState, Release, Strategy
from golive.deploy.config import LocalDriverConfig
from golive.kit.environment import MissingVariableError, Variables
from golive.kit.files import FileWriteError, atomic_write
from golive.kit.processes import (
    ManagedProcess,
    ProcessStartError,
    free_port,
    http_probe,
    pid_runs,
    stop_group,
)

#: How long a stopping instance may take to finish its requests before it is killed.
_STOP_GRACE_S = 15.0


def _cmdline(pid: int) -> str:
    """The command line ``pid`` shows now ("" once it is gone, or for a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


@dataclass(kw_only=True)
class _Instance:
    version: str
    vars: dict[str, str]
    port: int
    pid: int
    #: Its command line once healthy: a recorded pid is this instance only while it matches.
    marker: str = ""

    def release(self) -> Release:
        return Release(version=self.version, vars=dict(self.vars))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "vars": self.vars,
            "port": self.port,
            "pid": self.pid,
            "marker": self.marker,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> _Instance | None:
        if not data:
            return None
        return cls(
            version=str(data["version"]),
            vars={str(k): str(v) for k, v in dict(data.get("vars", {})).items()},
            port=int(data["port"]),
            pid=int(data["pid"]),
            marker=str(data.get("marker", "")),
        )


@dataclass(kw_only=True)
class _State:
    port: int = 0
    generation: int = 0
    weight: int = 0
    stable: _Instance | None = None
    candidate: _Instance | None = None
    standby: _Instance | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


class LocalDriver:
    """Runs versions as local processes behind nginx. See the module docstring."""

    name: ClassVar[str] = "local"
    strategies: ClassVar[frozenset[Strategy]] = frozenset(Strategy)

    def __init__(
        self,
        config: LocalDriverConfig,
        *,
        workdir: Path,
        environment: str,
        variables: Variables | None = None,
    ) -> None:
        """``workdir`` is the spec's directory; state lives in ``<state_dir>/<environment>``.

        ``variables`` resolve ``${VAR}`` in the command and its env (default: the process
        environment); ``GOLIVE_PYTHON`` is golive's interpreter unless set.
        """
        self.config = config
        self.workdir = workdir
        variables = variables or Variables.for_process()
        if "GOLIVE_PYTHON" not in variables.environ:
            variables = variables.with_environ({"GOLIVE_PYTHON": sys.executable})
        self.variables = variables
        state_root = Path(config.state_dir)
        # Absolute: instances run in their own cwd and get ${STATE_DIR} in their settings.
        self.dir = (
            (state_root if state_root.is_absolute() else workdir / state_root) / environment
        ).resolve()
        self._state_file = self.dir / "state.json"
        self._state = self._load()
        self._starting: _Instance | None = None
        self._nginx_ctl: Nginx | None = None
        # Instances this run started: their handles reap them and tell at once when they exit.
        self._processes: dict[int, ManagedProcess] = {}

    # -- state ------------------------------------------------------------------------------

    def _load(self) -> _State:
        try:
            data = json.loads(self._state_file.read_text())
        except FileNotFoundError:
            return _State()
        except (OSError, ValueError) as exc:
            raise DeployError(f"cannot read {self._state_file}: {exc}") from exc
        return _State(
            port=int(data.get("port", 0)),
            generation=int(data.get("generation", 0)),
            weight=int(data.get("weight", 0)),
            stable=_Instance.from_json(data.get("stable")),
            candidate=_Instance.from_json(data.get("candidate")),
            standby=_Instance.from_json(data.get("standby")),
        )

    def _save(self) -> None:
        s = self._state
        data = {
            "port": s.port,
            "generation": s.generation,
            "weight": s.weight,
            "stable": s.stable.to_json() if s.stable else None,
            "candidate": s.candidate.to_json() if s.candidate else None,
            "standby": s.standby.to_json() if s.standby else None,
        }
        _write(self._state_file, json.dumps(data, indent=2, sort_keys=True))
        self._write_targets()

    def _write_targets(self) -> None:
        s = self._state
        groups = [
            {"targets": [f"127.0.0.1:{inst.port}"], "labels": {"version": inst.version, "track": track}}
            for track, inst in (
                ("stable", s.stable),
                ("canary", s.candidate),
                ("standby", s.standby),
                ("starting", self._starting),
            )
            if inst is not None
        ]
        _write(self.targets_file, json.dumps(groups, indent=2))

    @property
    def targets_file(self) -> Path:
        """The Prometheus file_sd list of the running instances (labels: version, track)."""
        return self.dir / "targets.json"

    def _nginx(self) -> Nginx:
        if self._nginx_ctl is None:
            if not self._state.port:
                self._state.port = self.config.port or free_port()
            self._nginx_ctl = Nginx(self.config.nginx, self.dir / "nginx", self._state.port)
        return self._nginx_ctl

    @property
    def entry_url(self) -> str:
        """nginx's address: where users (and probes through the split) reach the service."""
        return self._nginx().url

    async def state(self) -> DriverState:
        """What runs now; instances whose process died are reported as gone."""
        s = self._state
        for attr in ("stable", "candidate", "standby"):
            inst = getattr(s, attr)
            if inst is not None and not self._running(inst):
                setattr(s, attr, None)
        url = self._nginx().url if self._nginx().pid() else None
        return DriverState(
            stable=s.stable.release() if s.stable else None,
            candidate=s.candidate.release() if s.candidate else None,
            standby=s.standby.release() if s.standby else None,
            weight=s.weight if s.candidate else 0,
            entry_url=url,
            candidate_url=f"http://127.0.0.1:{s.candidate.port}" if s.candidate else None,
            stable_url=f"http://127.0.0.1:{s.stable.port}" if s.stable else None,
        )

    # -- instances --------------------------------------------------------------------------

    def _command(self, release: Release, port: int) -> tuple[list[str], dict[str, str]]:
        """The instance's argv, and its environment on top of golive's."""
        values = self.variables.with_vars(
            {"PORT": str(port), "VERSION": release.version, "STATE_DIR": str(self.dir)}
        )
        try:
            argv = [values.resolve(a) for a in self.config.command]
            settings = {k: values.resolve(v) for k, v in self.config.env.items()}
        except MissingVariableError as exc:
            raise DeployError(str(exc)) from None
        env = dict(self.variables.environ)
        env.update(settings)
        env.update(release.vars)
        env["PORT"] = str(port)
        return argv, env

    def plan(self, release: Release, strategy: Strategy) -> list[str]:
        """The commands and traffic changes a deploy of ``release`` would make."""
        argv, _ = self._command(release, 0)
        ng = self._nginx().command_lines()
        start = shlex.join(argv).replace("PORT=0", "PORT=<free>")
        lines = [f"start instance: {start}  (PORT=<free port>, env {', '.join(sorted(self.config.env))})"]
        if strategy is Strategy.CANARY:
            lines.append("shift traffic in steps: rewrite upstream weights; " + shlex.join(ng["reload"]))
        elif strategy is Strategy.BLUE_GREEN:
            lines.append("verify green directly, then switch the upstream: " + shlex.join(ng["reload"]))
        else:
            lines.append("switch the upstream to the new instance: " + shlex.join(ng["reload"]))
        lines.append(f"nginx config test before each reload: {shlex.join(ng['test'])}")
        return lines

    async def _start_instance(self, release: Release) -> _Instance:
        port = free_port()
        argv, env = self._command(release, port)
        cwd = Path(self.config.cwd)
        cwd = (cwd if cwd.is_absolute() else self.workdir / cwd).resolve()
        log = self.dir / "logs" / f"{release.version}-{port}.log"
        try:
            proc = ManagedProcess.start(argv, log=log, cwd=cwd, env=env, detached=True, append_log=True)
        except ProcessStartError as exc:
            raise DeployError(str(exc)) from None
        self._processes[proc.pid] = proc
        inst = _Instance(version=release.version, vars=dict(release.vars), port=port, pid=proc.pid)
        # Listed for Prometheus at once: its discovery batches updates (about 5 s), so a
        # target announced only once healthy would have no data when traffic starts.
        self._starting = inst
        self._write_targets()
        try:
            await self._wait_healthy(proc, inst)
        except BaseException:
            self._starting = None
            self._write_targets()
            await self._stop_instance(inst)
            raise
        inst.marker = _cmdline(proc.pid)
        # The file keeps listing it until the caller saves the new state: removing it in
        # between would make Prometheus drop and restart the target's scrapes.
        self._starting = None
        return inst

    async def _wait_healthy(self, proc: ManagedProcess, inst: _Instance) -> None:
        url = f"http://127.0.0.1:{inst.port}{self.config.health_path}"
        async with httpx.AsyncClient(timeout=2.0) as client:
            try:
                await proc.wait_healthy(
                    http_probe(url, client=client),
                    timeout=self.config.start_timeout,
                    what=f"version {inst.version} ({url})",
                )
            except ProcessStartError as exc:
                raise DeployError(str(exc)) from None

    def _running(self, inst: _Instance) -> bool:
        proc = self._processes.get(inst.pid)
        if proc is not None:
            return proc.returncode is None
        return pid_runs(inst.pid, inst.marker)

    async def _stop_instance(self, inst: _Instance | None) -> None:
        if inst is None:
            return
        proc = self._processes.pop(inst.pid, None)
        if proc is not None:
            await proc.stop(_STOP_GRACE_S)
        elif pid_runs(inst.pid, inst.marker):
            await asyncio.to_thread(stop_group, inst.pid, _STOP_GRACE_S)

    async def _route(self) -> None:
        s = self._state
        ups: list[Upstream] = []
        if s.stable is not None:
            ups.append(Upstream(port=s.stable.port, weight=100 - s.weight if s.candidate else 100))
        if s.candidate is not None and s.weight > 0:
            ups.append(Upstream(port=s.candidate.port, weight=s.weight))
        s.generation += 1
        self.dir.mkdir(parents=True, exist_ok=True)
        await self._nginx().apply(ups, s.generation)
        self._save()

    async def _drain(self) -> None:
        # Old nginx workers finish requests already sent to a backend we are about to stop.
        await asyncio.sleep(self.config.drain)

    # -- operations -------------------------------------------------------------------------

    async def deploy(self, release: Release) -> None:
        """Rolling: start the new instance, route all traffic to it, stop the old one."""
        inst = await self._start_instance(release)
        old, standby = self._state.stable, self._state.standby
        self._state.stable, self._state.candidate, self._state.standby = inst, None, None
        self._state.weight = 0
        await self._route()
        await self._drain()
        await self._stop_instance(old)
        await self._stop_instance(standby)
        self._save()

    async def rollback(self, release: Release | None) -> None:
        """Bring ``release`` back: instantly from the standby if it is that version."""
        s = self._state
        if s.candidate is not None:
            await self.abort_candidate()
        if s.standby is not None and (release is None or s.standby.version == release.version):
            await self.switch_back()
            return
        if release is None:
            raise DeployError("no previous version to roll back to")
        if s.stable is not None and s.stable.version == release.version and self._running(s.stable):
            # The failed deploy never replaced it (e.g. the new instance did not start).
            await self._route()
            return
        await self.deploy(release)

    async def start_candidate(self, release: Release) -> None:
        """Start the candidate on its own port; it gets no traffic yet."""
        s = self._state
        if s.candidate is not None:
            await self.abort_candidate()
        if s.standby is not None:
            # A new deploy ends the previous one's grace period.
            await self.retire_standby()
        s.candidate = await self._start_instance(release)
        s.weight = 0
        self._save()
        if s.stable is None:
            # First deploy: nginx must exist before anything can be verified through it.
            await self._route()

    async def set_weight(self, percent: int) -> None:
        """Route ``percent`` of requests to the candidate."""
        if self._state.candidate is None:
            raise DeployError("no candidate is running")
        self._state.weight = max(0, min(100, percent))
        await self._route()

    async def promote(self, *, keep_previous: bool) -> None:
        """All traffic to the candidate; the old stable becomes the standby or is stopped."""
        s = self._state
        if s.candidate is None:
            raise DeployError("no candidate is running")
        old = s.stable
        s.stable, s.candidate, s.weight = s.candidate, None, 0
        s.standby = old if keep_previous else None
        await self._route()
        if not keep_previous:
            await self._drain()
            await self._stop_instance(old)
        self._save()

    async def abort_candidate(self) -> None:
        """All traffic back to the stable instance, then stop the candidate."""
        s = self._state
        cand = s.candidate
        if cand is None:
            return
        s.candidate, s.weight = None, 0
        if s.stable is not None or s.standby is not None or self._nginx().pid():
            await self._route()
            await self._drain()
        await self._stop_instance(cand)
        self._save()

    async def switch_back(self) -> None:
        """The standby serves again (one reload); the version that replaced it is stopped."""
        s = self._state
        if s.standby is None:
            raise DeployError("no standby version to switch back to")
        bad = s.stable
        s.stable, s.standby = s.standby, None
        await self._route()
        await self._drain()
        await self._stop_instance(bad)
        self._save()

    async def retire_standby(self) -> None:
        """Stop the standby instance (the previous version kept after a blue-green switch)."""
        s = self._state
        standby, s.standby = s.standby, None
        await self._stop_instance(standby)
        self._save()

    async def down(self) -> None:
        """Stop every instance and nginx (tests and ``golive deploy --down``)."""
        s = self._state
        await self._nginx().stop()
        for inst in (s.candidate, s.stable, s.standby):
            await self._stop_instance(inst)
        s.candidate = s.stable = s.standby = None
        s.weight = 0
        if self.dir.exists():
            self._save()

    async def close(self) -> None:
        """Nothing to release: the deployed processes keep running by design."""


def _write(path: Path, text: str) -> None:
    try:
        atomic_write(path, text)
    except FileWriteError as exc:
        raise DeployError(str(exc)) from None
