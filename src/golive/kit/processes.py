"""Every child process golive starts: commands run to completion and long-running services.

Children start in a session of their own so that a timeout or a stop signals the whole
process group (a shell pipeline, a test runner's workers, a server's forks), and the group
leader gets a parent-death signal so that it does not outlive golive when golive itself is
killed. A child that leaves its group (``setsid``, a daemon) is still found by the marker
every started process carries in its environment (see :mod:`golive.kit._reaper`): a timeout
or a stop sweeps that marker, and :func:`review_sweeper` sweeps everything a review started,
also when golive is killed with SIGKILL. This module is the only place that spawns or
signals process groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ctypes
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from golive.errors import GoliveError
from golive.kit._commands import CommandLine as CommandLine
from golive.kit._commands import resolve_command as resolve_command
from golive.kit._probes import HealthProbe as HealthProbe
from golive.kit._probes import http_probe as http_probe
from golive.kit._probes import tcp_probe as tcp_probe
from golive.kit._reaper import process_start as process_start
from golive.kit._reaper import sweep as sweep

#: Output up to this many bytes per stream stays in memory; beyond it, it spools to a
#: temporary file. Either way it is read back whole: a verdict never rests on a capped tail.
SPOOL_IN_MEMORY = 8 * 1024 * 1024

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


#: The marker of the review running in this context (see :func:`review_sweeper`), if any. A
#: context variable, not a global: asyncio tasks and worker threads started inside the review
#: inherit it, and code running beside the review in the same process does not.
_REVIEW_MARKER: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "golive_review_marker", default=None
)


def new_marker(kind: str = "PROC") -> str:
    """A fresh environment key that marks one started process (or one review) and its descendants."""
    return f"GOLIVE_{kind}_{secrets.token_hex(8)}"


def child_env(extra: Mapping[str, str] | None = None, *, marker: str | None = None) -> dict[str, str]:
    """The environment of a child: golive's own, plus ``extra`` (already resolved) on top.

    The child also carries the running review's marker and ``marker`` (its own), so that a
    sweep finds it and everything it starts, whatever session they end up in.
    """
    env = dict(os.environ)
    if extra:
        env.update(extra)
    for key in (_REVIEW_MARKER.get(), marker):
        if key:
            env[key] = "1"
    return env


@contextlib.contextmanager
def review_sweeper() -> Iterator[str]:
    """Every process started inside the block (and all it starts) ends with the block or with golive.

    Inside, children carry the review's marker. A watchdog in a session of its own sweeps the
    marker when golive dies (even by SIGKILL); a normal exit sweeps in-process and tells the
    watchdog so. Processes started with ``detached`` are swept too: under a review nothing
    outlives it (``golive deploy`` itself runs outside a review and keeps its releases).
    """
    key = new_marker("RUN")
    read_end, write_end = os.pipe()
    watchdog: subprocess.Popen[bytes] | None = None
    try:
        watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", str(Path(__file__).with_name("_reaper.py")), key],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        watchdog = None  # the in-process sweep below still runs on every normal exit
    finally:
        os.close(read_end)
    token = _REVIEW_MARKER.set(key)
    try:
        yield key
    finally:
        _REVIEW_MARKER.reset(token)
        try:
            sweep(key, exclude=(watchdog.pid,) if watchdog else ())
        finally:
            with contextlib.suppress(OSError):
                os.write(write_end, b"done")
            os.close(write_end)
            if watchdog is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    watchdog.wait(5.0)


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
    marker = new_marker()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd) if cwd else None,
        env=child_env(env, marker=marker),
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

    async def _end() -> None:
        """Kill the group and every descendant that left it; keep what they wrote until then."""
        await terminate_group(proc, grace_s=0.5)
        await asyncio.to_thread(sweep, marker, grace_s=0.5)
        # Output still in the pipes is evidence too; nothing holds them open any more.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(_pump(proc.stdout, out_buf), _pump(proc.stderr, err_buf)), 1.0
            )

    timed_out = False
    try:
        await asyncio.wait_for(_communicate(), timeout)
    except TimeoutError:
        timed_out = True
        await _end()
    except asyncio.CancelledError:
        await _end()
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


class ManagedProcess:
    """A long-running child (a server, a stack's ``up``) in its own session, logging to a file.

    Start it with :meth:`start`, wait with :meth:`wait_healthy`, and always :meth:`stop` it
    (or use it as an async context manager). Unless ``detached``, it dies with golive.
    """

    def __init__(
        self,
        *,
        name: str,
        argv: tuple[str, ...],
        popen: subprocess.Popen[bytes],
        log: Path,
        marker: str = "",
    ) -> None:
        self.name = name
        self.argv = argv
        self.log = log
        self._popen: subprocess.Popen[bytes] | None = popen
        self.pid = popen.pid
        #: The environment key this process and all it starts carry (swept by :meth:`stop`).
        self.marker = marker

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
        marker = new_marker()
        try:
            with log.open("ab" if append_log else "wb") as out:
                popen = subprocess.Popen(
                    argv,
                    cwd=str(cwd) if cwd else None,
                    env=child_env(env, marker=marker),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_preexec(detached),
                )
        except OSError as exc:
            raise ProcessStartError(f"cannot start {name or argv[0]}: {exc.strerror or exc}") from None
        return cls(name=name or Path(argv[0]).name, argv=argv, popen=popen, log=log, marker=marker)

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
        """SIGTERM the whole group, wait up to ``grace_s``, SIGKILL what is left, reap.

        Descendants that left the group (``setsid``, daemons) are swept by the marker.
        """
        stop_group(self.pid, grace_s)
        if self.marker:
            sweep(self.marker, grace_s=min(grace_s, 2.0))
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
