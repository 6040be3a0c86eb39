"""Run child processes in their own process group so that a timeout kills all of them.

A check's command may spawn children (a shell pipeline, a test runner's workers); killing
only the direct child would leave the rest running, so everything is started in a new
session and the whole group is signalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Output beyond this many bytes per stream is truncated (the tail is kept).
MAX_OUTPUT = 256 * 1024


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


def _decode(data: bytes) -> str:
    if len(data) > MAX_OUTPUT:
        data = b"...[truncated]...\n" + data[-MAX_OUTPUT:]
    return data.decode("utf-8", errors="replace")


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process group led by ``pid``; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def terminate_group(proc: asyncio.subprocess.Process, grace_s: float = 2.0) -> None:
    """SIGTERM the whole group, wait up to ``grace_s``, then SIGKILL what is left."""
    kill_group(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace_s)
    except TimeoutError:
        pass
    # Children may outlive the leader; always finish the group off.
    kill_group(proc.pid, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), grace_s)


def build_argv(command: str | Sequence[str], *, shell: bool) -> tuple[str, ...]:
    """Turn a command (argv list, or a string run by /bin/sh when ``shell``) into argv."""
    if isinstance(command, str):
        return ("/bin/sh", "-c", command) if shell else tuple(shlex.split(command))
    argv = tuple(command)
    return ("/bin/sh", "-c", shlex.join(argv)) if shell else argv


async def run_process(
    command: str | Sequence[str],
    *,
    shell: bool = False,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    stdin: bytes | None = None,
) -> ProcessResult:
    """Run a command to completion, killing its whole process group on timeout or cancel."""
    argv = build_argv(command, shell=shell)
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd) if cwd else None,
        env=full_env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    out_buf, err_buf = bytearray(), bytearray()

    async def _pump(stream: asyncio.StreamReader | None, buf: bytearray) -> None:
        if stream is None:
            return
        while chunk := await stream.read(65536):
            buf.extend(chunk)
            if len(buf) > 2 * MAX_OUTPUT:
                del buf[: len(buf) - MAX_OUTPUT]

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
    out, err = bytes(out_buf), bytes(err_buf)
    return ProcessResult(
        argv=argv,
        returncode=proc.returncode,
        stdout=_decode(out),
        stderr=_decode(err),
        duration_s=time.monotonic() - start,
        timed_out=timed_out,
    )
