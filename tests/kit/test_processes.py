"""The one process module: commands killed with their whole group, servers that die with golive."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from golive.kit.processes import (
    ManagedProcess,
    ProcessStartError,
    find_tool,
    free_port,
    group_alive,
    http_probe,
    pid_runs,
    run_process,
    tcp_probe,
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_dead(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {pidfile}; wait"
    result = asyncio.run(run_process(script, shell=True, timeout=1.0))
    assert result.timed_out and result.returncode is not None
    assert _wait_dead(int(pidfile.read_text()))


def test_output_and_exit_code_are_kept() -> None:
    result = asyncio.run(run_process([sys.executable, "-c", "import sys; print('out'); sys.exit(3)"]))
    assert (result.returncode, result.stdout.strip(), result.timed_out) == (3, "out", False)
    assert result.command_line.endswith("sys.exit(3)'")


def _server_script(tmp: Path) -> Path:
    script = tmp / "server.py"
    script.write_text(
        textwrap.dedent(
            """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
                def log_message(self, *a): pass
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
            """
        )
    )
    return script


def test_managed_process_becomes_healthy_and_stops(tmp_path: Path) -> None:
    port = free_port()
    proc = ManagedProcess.start(
        [sys.executable, str(_server_script(tmp_path)), str(port)], log=tmp_path / "s.log", name="srv"
    )

    async def go() -> None:
        await proc.wait_healthy(http_probe(f"http://127.0.0.1:{port}/"), timeout=20)
        assert await tcp_probe("127.0.0.1", port)()
        await proc.stop(grace_s=2)

    asyncio.run(go())
    assert not group_alive(proc.pid) and not asyncio.run(tcp_probe("127.0.0.1", port)())


def test_early_exit_is_reported_with_the_log(tmp_path: Path) -> None:
    proc = ManagedProcess.start(
        ["/bin/sh", "-c", "echo cannot bind >&2; exit 4"], log=tmp_path / "bad.log", name="bad"
    )
    with pytest.raises(ProcessStartError, match=r"exited with code 4(.|\n)*cannot bind"):
        asyncio.run(proc.wait_healthy(tcp_probe("127.0.0.1", free_port()), timeout=10))
    proc.stop_sync()


def test_a_server_dies_when_golive_is_killed(tmp_path: Path) -> None:
    """SIGKILL the parent: the kernel's parent-death signal takes the managed child down."""
    pidfile = tmp_path / "child.pid"
    parent = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from golive.kit.processes import ManagedProcess
        p = ManagedProcess.start(["sleep", "300"], log=Path({str(tmp_path / "c.log")!r}))
        Path({str(pidfile)!r}).write_text(str(p.pid))
        time.sleep(300)
        """
    )
    golive = subprocess.Popen([sys.executable, "-c", parent])
    try:
        deadline = time.monotonic() + 20
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pidfile.read_text())
        assert _alive(child)
        golive.send_signal(signal.SIGKILL)
        golive.wait(10)
        assert _wait_dead(child), "the managed process outlived golive"
    finally:
        golive.kill()


def test_detached_processes_outlive_golive_on_purpose(tmp_path: Path) -> None:
    proc = ManagedProcess.start(["sleep", "300"], log=tmp_path / "d.log", detached=True)
    try:
        # /proc shows the command line once exec has completed in the child.
        deadline = time.monotonic() + 5
        while not pid_runs(proc.pid, "sleep 300") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pid_runs(proc.pid, "sleep 300")
    finally:
        proc.stop_sync(grace_s=1)
    assert not pid_runs(proc.pid, "sleep 300")


def test_find_tool_prefers_the_interpreters_directory() -> None:
    assert find_tool("python3") is not None
    assert find_tool("no-such-tool-anywhere") is None


def test_output_is_read_whole_however_long() -> None:
    """A scanner's JSON of many megabytes is never cut to a tail (12 MiB spills to disk)."""
    code = "import json, sys; json.dump([{'i': i, 'pad': 'x' * 100} for i in range(110_000)], sys.stdout)"
    result = asyncio.run(run_process([sys.executable, "-c", code]))
    data = json.loads(result.stdout)
    assert (
        len(result.stdout) > 12 * 1024 * 1024
        and [d["i"] for d in data[:2]] == [0, 1]
        and len(data) == 110_000
    )
