"""A stack left by a review that died is reaped by the next ``up``; a live review's stack is not."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from golive.engine import _stale
from golive.kit.processes import child_env, new_marker, process_start


def _stack_process(marker: str) -> subprocess.Popen[bytes]:
    """A process of a stack: in a session of its own, carrying the stack's marker."""
    return subprocess.Popen(["sleep", "300"], env=child_env(marker=marker), start_new_session=True)


def _record(workdir: Path, marker: str, owner: int, started: int | None) -> None:
    folder = workdir / ".golive" / "stacks"
    folder.mkdir(parents=True, exist_ok=True)
    data = {"marker": marker, "owner": owner, "owner_started": started, "up": 1}
    (folder / f"{marker}.json").write_text(json.dumps(data))


def test_a_stack_whose_review_died_is_reaped(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    marker = new_marker()
    stack = _stack_process(marker)
    try:
        _record(tmp_path, marker, gone.pid, 12345)
        assert _stale.reap(tmp_path) == [marker]
        assert stack.wait(10) is not None
        assert list((tmp_path / ".golive" / "stacks").iterdir()) == []
    finally:
        stack.kill()
        stack.wait()


def test_the_stack_of_a_running_review_is_left_alone(tmp_path: Path) -> None:
    marker = new_marker()
    stack = _stack_process(marker)
    try:
        _record(tmp_path, marker, os.getpid(), process_start(os.getpid()))
        assert _stale.reap(tmp_path) == []
        assert stack.poll() is None
    finally:
        stack.kill()
        stack.wait()
