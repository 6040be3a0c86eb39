"""`golive monitoring up` / `down`: a background stack that outlives the command, stopped by pid."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from golive.cli import app
from golive.kit.processes import pid_runs
from golive.monitoring._generate import Settings, generate
from golive.monitoring._inventory import parse_exposition
from tests.fixtures.servers import free_port
from tests.monitoring.conftest import FIXTURES, needs_prometheus, write_files

pytestmark = [needs_prometheus, pytest.mark.slow]


def test_up_records_running_stack_and_down_stops_it(tmp_path: Path) -> None:
    inventory = parse_exposition((FIXTURES / "storefront-metrics.txt").read_text())
    files = generate(Settings(service="shop", target="127.0.0.1:9"), inventory).files
    monitoring = write_files(tmp_path / "monitoring", dict(files))
    state = tmp_path / "state"
    prom_port, am_port = free_port(), free_port()
    runner = CliRunner()
    up = runner.invoke(
        app,
        [
            "monitoring",
            "up",
            "--dir",
            str(monitoring),
            "--state",
            str(state),
            "--prometheus-port",
            str(prom_port),
            "--alertmanager-port",
            str(am_port),
        ],
    )
    record = json.loads((state / "stack.json").read_text()) if (state / "stack.json").is_file() else {}
    pids = {name: int(entry["pid"]) for name, entry in record.items()}
    try:
        assert up.exit_code == 0, up.output
        assert f"prometheus http://127.0.0.1:{prom_port}" in up.output
        assert httpx.get(f"http://127.0.0.1:{prom_port}/-/ready").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{am_port}/-/ready").status_code == 200
        assert all(pid_runs(pid, name) for name, pid in pids.items()), pids

        busy = runner.invoke(
            app,
            [
                "monitoring",
                "up",
                "--dir",
                str(monitoring),
                "--state",
                str(tmp_path / "other"),
                "--prometheus-port",
                str(prom_port),
                "--alertmanager-port",
                str(free_port()),
            ],
        )
        assert busy.exit_code == 2
        assert f"port {prom_port} on 127.0.0.1 is in use" in busy.output
    finally:
        down = runner.invoke(app, ["monitoring", "down", "--state", str(state)])
    assert down.exit_code == 0, down.output
    assert "stopped" in down.output
    assert not (state / "stack.json").exists()
    assert not any(pid_runs(pid, name) for name, pid in pids.items())
    again = runner.invoke(app, ["monitoring", "down", "--state", str(state)])
    assert again.exit_code == 0 and "nothing to stop" in again.output
