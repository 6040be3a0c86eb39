"""Every process a review starts dies with it, also when the review is killed with SIGKILL.

A real ``golive review`` subprocess runs a spec whose ``up`` starts a service that daemonizes
itself and a real monitoring stack (``golive monitoring up`` runs Prometheus and Alertmanager
detached on purpose), and a check whose child calls ``setsid``. None of them is a child of
golive or in a process group golive knows; all of them must be gone within 10 s of the kill.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

from golive.kit._reaper import marked, sweep
from golive.kit.processes import free_port

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "processes"
MONITORING = shutil.which("prometheus") is not None and shutil.which("prometheus-alertmanager") is not None

#: Writes its pid, leaves golive's session and would sleep for ten minutes.
ESCAPING_CHILD = (
    '"$PY" -c "import os, sys, time; os.setsid(); '
    'open(sys.argv[1], \'w\').write(str(os.getpid())); time.sleep(600)" "$CHILD_PID" & wait'
)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def _spec(tmp: Path, port: int) -> Path:
    spec = {
        "service": {"name": "procs"},
        "environments": {
            "local": {
                "base_url": f"http://127.0.0.1:{port}",
                "health_path": "/",
                "up": ["sh", str(FIXTURE / "up.sh")],
                "up_timeout": "60s",
            }
        },
        "criteria": [
            {
                "id": "escaping.child",
                "title": "A check whose child calls setsid",
                "area": "ops",
                "tier": "must",
                "timeout": "300s",
                "check": {"type": "command", "shell": True, "command": ESCAPING_CHILD},
            }
        ],
    }
    path = tmp / "golive.yaml"
    with path.open("w") as fh:
        YAML().dump(spec, fh)
    return path


def test_a_killed_review_leaves_nothing_running(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    tag = f"PROCESS_TEST_{secrets.token_hex(6)}"
    env = {
        **os.environ,
        tag: "1",
        "PY": sys.executable,
        "FIXTURE": str(FIXTURE),
        "STATE": str(state),
        "SERVICE_PORT": str(free_port()),
        "CHILD_PID": str(tmp_path / "child.pid"),
        "PROMETHEUS_PORT": str(free_port()),
        "ALERTMANAGER_PORT": str(free_port()),
    }
    if MONITORING:
        env["MONITORING_DIR"] = str(FIXTURE / "monitoring")
    spec = _spec(tmp_path, int(env["SERVICE_PORT"]))
    argv = [sys.executable, "-m", "golive", "review", str(spec), "--no-history", "-o", str(tmp_path / "out")]
    golive = subprocess.Popen(
        argv, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        pidfiles = [state / "service.pid", tmp_path / "child.pid"]
        # The service answers (and the review starts) while up still starts the monitoring stack.
        files = [*pidfiles, *([state / "monitoring" / "stack.json"] if MONITORING else [])]
        started = _wait(lambda: all(p.is_file() and p.read_text() for p in files), 60)
        assert started, "the stack or the check never started"
        pids = [int(p.read_text()) for p in pidfiles]
        if MONITORING:
            record = json.loads((state / "monitoring" / "stack.json").read_text())
            pids += [int(record[name]["pid"]) for name in ("prometheus", "alertmanager")]
        assert all(_running(pid) for pid in pids), pids
        assert not any(os.getsid(pid) == os.getsid(golive.pid) for pid in pids), "not escaped"

        golive.send_signal(signal.SIGKILL)
        golive.wait(10)
        assert _wait(lambda: not any(_running(pid) for pid in pids) and not marked(tag), 10), (
            [pid for pid in pids if _running(pid)],
            marked(tag),
        )
    finally:
        golive.kill()
        golive.wait(10)
        sweep(tag, grace_s=1.0)
