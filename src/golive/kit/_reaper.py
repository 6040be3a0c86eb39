"""The sweep: end every process that carries a marker in its environment, and the watchdog.

golive marks what it starts with environment keys (``GOLIVE_RUN_<id>`` for everything a
review starts, ``GOLIVE_PROC_<id>`` for one started process and all it starts). A process
group misses a child that calls ``setsid`` or daemonizes; the environment is inherited
across both, so the marker still finds it. Processes without the marker are never touched.

Run as a script it is the watchdog of one review (``python _reaper.py KEY``): it waits until
golive exits, and unless golive wrote ``done`` on its stdin first (it swept in-process),
sweeps ``KEY``. Only the standard library is imported, so the watchdog starts in milliseconds
and survives golive (it runs in a session of its own).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from collections.abc import Collection

_DONE = b"done"


def _environ_has(pid: int, needle: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            env = fh.read()
    except OSError:
        return False
    return env.startswith(needle) or b"\0" + needle in env


def marked(key: str, exclude: Collection[int] = ()) -> list[int]:
    """Pids of live processes whose environment holds ``key`` (never this process)."""
    needle = key.encode() + b"="
    skip = {os.getpid(), *exclude}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    return [int(e) for e in entries if e.isdigit() and int(e) not in skip and _environ_has(int(e), needle)]


def _signal(pid: int, needle: bytes, sig: int) -> None:
    """Signal ``pid`` only if it still carries the marker; a pidfd pins it against pid reuse."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        if _environ_has(pid, needle):
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        return
    try:
        if _environ_has(pid, needle):
            signal.pidfd_send_signal(fd, sig)
    except OSError:
        pass
    finally:
        os.close(fd)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def process_start(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot); None once it is gone.

    Recorded next to a pid, it tells the recorded process from a later one that got the same
    pid: never signal a pid whose start differs.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        # Field 22; the command name (field 2) may hold spaces and ")", so count from its end.
        return int(stat.rsplit(b")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def sweep(key: str, *, grace_s: float = 3.0, exclude: Collection[int] = ()) -> int:
    """SIGTERM every process marked ``key``, wait up to ``grace_s``, SIGKILL what is left.

    Rescans until none is left, so a supervisor that forks a replacement meanwhile is caught
    too. Returns how many processes were found at first.
    """
    needle = key.encode() + b"="
    found = marked(key, exclude)
    for pid in found:
        _signal(pid, needle, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while found and time.monotonic() < deadline and any(_running(p) for p in found):
        time.sleep(0.05)
    for _ in range(100):
        left = marked(key, exclude)
        if not left:
            break
        for pid in left:
            _signal(pid, needle, signal.SIGKILL)
        time.sleep(0.02)
    return len(found)


def _wait_for_parent() -> bytes:
    """Block until golive (our parent) exits or closes our stdin; what it wrote, if anything."""
    parent = os.getppid()
    fds = [sys.stdin.fileno()]
    with contextlib.suppress(AttributeError, OSError):
        pidfd = os.pidfd_open(parent)
        # Our parent may have died before the pidfd was opened (we were reparented already).
        if os.getppid() != parent:
            return b""
        fds.append(pidfd)
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN | select.POLLHUP)
    while not poller.poll():
        pass
    os.set_blocking(fds[0], False)
    try:
        return os.read(fds[0], 64)
    except (BlockingIOError, OSError):
        return b""


def main(argv: list[str]) -> int:
    """The watchdog: sweep ``argv[1]`` once golive is gone without having swept."""
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    if _wait_for_parent().startswith(_DONE):
        return 0
    sweep(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
