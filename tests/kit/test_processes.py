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

from golive.kit._reaper import marked, sweep
from golive.kit.environment import Variables
from golive.kit.processes import (
    ManagedProcess,
    ProcessStartError,
    child_env,
    find_tool,
    free_port,
    group_alive,
    http_probe,
    new_marker,
    pid_runs,
    process_start,
    resolve_command,
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
        child = _pid(pidfile, 20)  # written non-atomically: wait for the whole pid
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


# -- children that leave the group: the environment marker ------------------------------------


def _escaping(pidfile: Path) -> str:
    """Shell text: a child that calls setsid (leaves the group), writes its pid and sleeps."""
    write = f"open({str(pidfile)!r}, 'w').write(str(os.getpid()))"
    return f'{sys.executable} -c "import os, time; os.setsid(); {write}; time.sleep(300)" &'


def _pid(pidfile: Path, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while not (pidfile.is_file() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return int(pidfile.read_text())


def test_a_timeout_kills_a_setsid_child_and_keeps_the_output(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = f"echo before; {_escaping(pidfile)} echo after >&2; sleep 300"
    result = asyncio.run(run_process(script, shell=True, timeout=1.0))
    assert result.timed_out and (result.stdout, result.stderr) == ("before\n", "after\n")
    assert not _alive(_pid(pidfile)), "the setsid child escaped the timeout kill"


def test_stop_kills_a_daemon_the_server_started(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    proc = ManagedProcess.start(f"{_escaping(pidfile)} sleep 300", log=tmp_path / "s.log")
    daemon = _pid(pidfile)
    assert os.getsid(daemon) != os.getsid(proc.pid)
    proc.stop_sync(grace_s=2)
    assert not _alive(daemon)


def test_a_sweep_touches_only_marked_processes(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "300"])  # not started through golive: no marker
    try:
        key = new_marker()
        marked_child = subprocess.Popen(["sleep", "300"], env=child_env(marker=key))
        assert marked(key) == [marked_child.pid]
        assert sweep(key, grace_s=2) == 1
        assert marked_child.wait(5) == -signal.SIGTERM and stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


_REVIEW = """
import sys, time
from pathlib import Path
from golive.kit.processes import ManagedProcess, review_sweeper
with review_sweeper():
    # Detached on purpose (as `golive monitoring up` starts Prometheus): under a review it still
    # must not outlive golive.
    ManagedProcess.start(sys.argv[1], log=Path(sys.argv[2]), detached=True)
    time.sleep(float(sys.argv[3]))
"""


def _reviewer(tmp_path: Path, pidfile: Path, seconds: float) -> subprocess.Popen[bytes]:
    script = f"{_escaping(pidfile)} sleep 300"
    return subprocess.Popen([sys.executable, "-c", _REVIEW, script, str(tmp_path / "l.log"), str(seconds)])


def test_everything_a_review_started_dies_when_golive_is_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    golive = _reviewer(tmp_path, pidfile, 300)
    try:
        daemon = _pid(pidfile)
        golive.send_signal(signal.SIGKILL)
        golive.wait(10)
        assert _wait_dead(daemon, 10), "a detached, setsid process outlived the killed review"
    finally:
        golive.kill()


def test_a_review_ending_normally_sweeps_what_it_started(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    golive = _reviewer(tmp_path, pidfile, 0.5)
    try:
        daemon = _pid(pidfile)
        assert golive.wait(20) == 0
        assert not _alive(daemon)
    finally:
        golive.kill()


def test_a_process_start_tells_a_reused_pid_apart() -> None:
    first = subprocess.Popen(["sleep", "300"])
    try:
        started = process_start(first.pid)
        assert started is not None and started == process_start(first.pid)
    finally:
        first.kill()
        first.wait()
    assert process_start(first.pid) is None


def test_values_golive_found_never_become_shell_text() -> None:
    variables = Variables(environ={"FILE": "b$(touch PWNED).db", "HOST": "db"}, vars={"URL": "pg://${HOST}"})
    line = 'restore "${FILE}" ${FILE:-none} --to ${URL}'
    assert (
        resolve_command(variables, line, from_env=["FILE"]) == 'restore "${FILE}" ${FILE:-none} --to pg://db'
    )
    assert resolve_command(variables, ["restore", "${FILE}"], from_env=["FILE"]) == [
        "restore",
        "b$(touch PWNED).db",
    ]
    assert resolve_command(variables, "restore ${FILE}") == "restore b$(touch PWNED).db"
