"""`golive monitoring up`/`down` stop only the processes they recorded, never a reused pid."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from golive.cli import app
from golive.kit.processes import ManagedProcess, new_marker, process_start

#: Stands in for Prometheus: its command line names it, as the record check expects.
FAKE = [sys.executable, "-c", "import time; time.sleep(300)", "prometheus"]


def _down(state: Path, entry: dict[str, object]) -> None:
    state.mkdir(exist_ok=True)
    (state / "stack.json").write_text(json.dumps({"prometheus": entry}))
    result = CliRunner().invoke(app, ["monitoring", "down", "--state", str(state)])
    assert result.exit_code == 0, result.output


def test_a_pid_that_started_later_is_not_the_recorded_process(tmp_path: Path) -> None:
    proc = ManagedProcess.start(FAKE, log=tmp_path / "p.log", detached=True)
    try:
        started = process_start(proc.pid)
        assert started is not None
        # Same pid and program, another start time and marker: a reused pid, left alone.
        _down(tmp_path / "state", {"pid": proc.pid, "started": started - 1, "marker": new_marker()})
        assert proc.returncode is None
        _down(tmp_path / "state", {"pid": proc.pid, "started": started, "marker": proc.marker})
        assert proc.returncode is not None
    finally:
        proc.stop_sync(grace_s=1)
