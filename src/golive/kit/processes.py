"""Every child process golive starts: commands run to completion and long-running services.

Children start in a session of their own so that a timeout or a stop signals the whole
process group (a shell pipeline, a test runner's workers, a server's forks), and the group
leader gets a parent-death signal so that it does not outlive golive when golive itself is
killed. This module is the only place that spawns or signals processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from golive.errors import GoliveError

#: Output up to this many bytes per stream stays in memory; beyond it, it spools to a
#: temporary file. Either way it is read back whole: a verdict never rests on a capped tail.
SPOOL_IN_MEMORY = 8 * 1024 * 1024

CommandLine = list[str] | str
"""An argv list, or a string run by ``/bin/sh -c``."""

_PR_SET_PDEATHSIG = 1


class ProcessStartError(GoliveError):
    """A process could not be started, exited early, or never became healthy."""


@dataclass(frozen=True, kw_only=True)
class ProcessResult:
    """The outcome of a finished (or killed) child process."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool

    @property
    def command_line(self) -> str:
        """A shell-quoted command line anyone can paste to reproduce the run."""
        if len(self.argv) == 3 and self.argv[:2] == ("/bin/sh", "-c"):
            return self.argv[2]
        return shlex.join(self.argv)


def _die_with_parent() -> None:
    """In the child, before exec: ask the kernel to SIGKILL it when golive dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _preexec(detached: bool) -> Callable[[], None] | None:
    return None if detached or not sys.platform.startswith("linux") else _die_with_parent


def _decode(spool: IO[bytes]) -> str:
    spool.seek(0)
    return spool.read().decode("utf-8", errors="replace")


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: golive's own, plus ``extra`` (already resolved) on top."""
    env = dict(os.environ)
    if extra:
        env.update(extra)
    return env


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process group led by ``pid``; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def group_alive(pid: int) -> bool:
    """True while any process of the group led by ``pid`` exists."""
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_group(pid: int, grace_s: float = 5.0) -> None:
    """SIGTERM the group of ``pid`` (not necessarily our child), wait, then SIGKILL the rest."""
    kill_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and group_alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    kill_group(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


async def terminate_group(proc: asyncio.subprocess.Process, grace_s: float = 2.0) -> None:
    """SIGTERM the whole group of an asyncio child, wait up to ``grace_s``, then SIGKILL."""
    kill_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), grace_s)
    # Children may outlive the leader; always finish the group off.
    kill_group(proc.pid, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), grace_s)


def build_argv(command: CommandLine | Sequence[str], *, shell: bool) -> tuple[str, ...]:
    """Turn a command (argv list, or a string run by /bin/sh when ``shell``) into argv."""
    if isinstance(command, str):
        return ("/bin/sh", "-c", command) if shell else tuple(shlex.split(command))
    argv = tuple(command)
    return ("/bin/sh", "-c", shlex.join(argv)) if shell else argv


def command_argv(command: CommandLine) -> tuple[str, ...]:
    """argv for a spec command line: a string runs in a shell, a list is argv."""
    return build_argv(command, shell=isinstance(command, str))


async def run_process(
    command: CommandLine | Sequence[str],
    *,
    shell: bool = False,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    stdin: bytes | None = None,
) -> ProcessResult:
    """Run a command to completion, killing its whole process group on timeout or cancel."""
    argv = build_argv(command, shell=shell)
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd) if cwd else None,
        env=child_env(env),
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_preexec(False),
    )
    out_buf = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    err_buf = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)

    async def _pump(stream: asyncio.StreamReader | None, buf: IO[bytes]) -> None:
        if stream is None:
            return
        while chunk := await stream.read(65536):
            buf.write(chunk)

    async def _feed() -> None:
        if proc.stdin is not None and stdin is not None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                proc.stdin.write(stdin)
                await proc.stdin.drain()
            proc.stdin.close()

    async def _communicate() -> None:
        await asyncio.gather(_feed(), _pump(proc.stdout, out_buf), _pump(proc.stderr, err_buf), proc.wait())

    timed_out = False
    try:
        await asyncio.wait_for(_communicate(), timeout)
    except TimeoutError:
        timed_out = True
        await terminate_group(proc, grace_s=0.5)
    except asyncio.CancelledError:
        await terminate_group(proc, grace_s=0.5)
        raise
    else:
        # The leader is done; reap anything it left behind in its group.
        kill_group(proc.pid, signal.SIGKILL)
    with out_buf, err_buf:
        return ProcessResult(
            argv=argv,
            returncode=proc.returncode,
            stdout=_decode(out_buf),
            stderr=_decode(err_buf),
            duration_s=time.monotonic() - start,
            timed_out=timed_out,
        )


def run_sync(
    command: CommandLine | Sequence[str],
    *,
    shell: bool = False,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    stdin: bytes | None = None,
) -> ProcessResult:
    """:func:`run_process` for code that is not async (command-line helpers, generators)."""
    return asyncio.run(run_process(command, shell=shell, cwd=cwd, env=env, timeout=timeout, stdin=stdin))


HealthProbe = Callable[[], Awaitable[bool]]
"""An async predicate: True once the service is ready."""


def http_probe(url: str, *, client: httpx.AsyncClient | None = None) -> HealthProbe:
    """Ready when ``url`` answers 2xx."""

    async def probe() -> bool:
        try:
            if client is not None:
                response = await client.get(url, timeout=2.0)
            else:
                async with httpx.AsyncClient(timeout=2.0) as own:
                    response = await own.get(url)
        except httpx.HTTPError:
            return False
        return 200 <= response.status_code < 300

    return probe


def tcp_probe(host: str, port: int) -> HealthProbe:
    """Ready when ``host:port`` accepts a TCP connection."""

    async def probe() -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    return probe


class ManagedProcess:
    """A long-running child (a server, a stack's ``up``) in its own session, logging to a file.

    Start it with :meth:`start`, wait with :meth:`wait_healthy`, and always :meth:`stop` it
    (or use it as an async context manager). Unless ``detached``, it dies with golive.
    """

    def __init__(
        self, *, name: str, argv: tuple[str, ...], popen: subprocess.Popen[bytes], log: Path
    ) -> None:
        self.name = name
        self.argv = argv
        self.log = log
        self._popen: subprocess.Popen[bytes] | None = popen
        self.pid = popen.pid

    @classmethod
    def start(
        cls,
        command: CommandLine | Sequence[str],
        *,
        log: Path,
        name: str = "",
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        detached: bool = False,
        append_log: bool = False,
    ) -> ManagedProcess:
        """Start ``command`` (a string runs in a shell); ProcessStartError when it cannot start.

        ``detached`` processes (deployed instances) are meant to outlive golive: they get no
        parent-death signal, and whoever starts one records its pid to stop it later.
        """
        argv = command_argv(command) if isinstance(command, str) else tuple(command)
        log.parent.mkdir(parents=True, exist_ok=True)
        try:
            with log.open("ab" if append_log else "wb") as out:
                popen = subprocess.Popen(
                    argv,
                    cwd=str(cwd) if cwd else None,
                    env=child_env(env),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_preexec(detached),
                )
        except OSError as exc:
            raise ProcessStartError(f"cannot start {name or argv[0]}: {exc.strerror or exc}") from None
        return cls(name=name or Path(argv[0]).name, argv=argv, popen=popen, log=log)

    @property
    def returncode(self) -> int | None:
        """The exit code once the leader has exited, else None."""
        return self._popen.poll() if self._popen is not None else None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the process wrote."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait_healthy(
        self,
        probe: HealthProbe,
        *,
        timeout: float,
        what: str = "",
        may_exit: bool = False,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Poll ``probe`` until it is True; ProcessStartError on early exit or timeout.

        ``may_exit``: the command may exit 0 after starting daemons (a stack's ``up``).
        """
        deadline = time.monotonic() + timeout
        what = what or self.name
        while True:
            if stop is not None and stop.is_set():
                raise ProcessStartError(f"interrupted while waiting for {what} to become healthy")
            code = self.returncode
            if code is not None and not (may_exit and code == 0):
                raise ProcessStartError(
                    f"{self.name} exited with code {code} before {what} was healthy; "
                    f"log {self.log}:\n{self.log_tail()}"
                )
            if await probe():
                return
            if time.monotonic() > deadline:
                raise ProcessStartError(
                    f"{what} not healthy within {timeout:g}s; log {self.log}:\n{self.log_tail()}"
                )
            await asyncio.sleep(0.1)

    def wait_healthy_sync(self, probe: HealthProbe, *, timeout: float, what: str = "") -> None:
        """:meth:`wait_healthy` for code that is not async."""
        asyncio.run(self.wait_healthy(probe, timeout=timeout, what=what))

    def stop_sync(self, grace_s: float = 5.0) -> None:
        """SIGTERM the whole group, wait up to ``grace_s``, SIGKILL what is left, reap."""
        stop_group(self.pid, grace_s)
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(2.0)
            self._popen = None

    async def stop(self, grace_s: float = 5.0) -> None:
        """:meth:`stop_sync` without blocking the event loop."""
        await asyncio.to_thread(self.stop_sync, grace_s)

    async def __aenter__(self) -> ManagedProcess:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.shield(self.stop())


def pid_runs(pid: int, marker: str) -> bool:
    """True when ``pid`` is alive and its command line contains ``marker`` (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return marker in cmdline.decode(errors="replace")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def find_tool(*names: str) -> str | None:
    """The first of ``names`` found next to golive's interpreter (its venv), else on PATH.

    ``GOLIVE_PYTHON`` (an interpreter whose directory holds more tools) is searched too.
    """
    dirs = [Path(sys.executable).parent]
    other = os.environ.get("GOLIVE_PYTHON")
    if other:
        dirs.append(Path(other).parent)
    for name in names:
        for directory in dirs:
            candidate = directory / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
        found = shutil.which(name)
        if found:
            return found
    return None
