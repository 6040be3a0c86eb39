"""The repo-root composite action (action.yml) and pre-commit hook (.pre-commit-hooks.yaml).

The action's shell steps run here for real against small specs, with GitHub's output
files replaced by temporary files.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _steps() -> dict[str, dict]:
    doc = YAML(typ="safe").load((REPO / "action.yml").read_text())
    assert doc["runs"]["using"] == "composite"
    return {s.get("id") or s["name"]: s for s in doc["runs"]["steps"]}


def _spec(tmp: Path, exit_code: int) -> Path:
    (tmp / "golive.yaml").write_text(
        "service: {name: demo}\nenvironments:\n  local: {base_url: 'http://127.0.0.1:9'}\n"
        "criteria:\n  - id: ok\n    title: OK\n    area: testing\n    tier: must\n"
        f"    check: {{type: command, command: [sh, -c, 'exit {exit_code}']}}\n"
    )
    return tmp


def _bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(["bash", "-e", "-c", script], env=full, capture_output=True, text=True)


@pytest.mark.slow
@pytest.mark.parametrize(("exit_code", "decision"), [(0, "GO"), (1, "NO-GO")])
def test_review_step_outputs_decision_and_summary(tmp_path: Path, exit_code: int, decision: str) -> None:
    steps = _steps()
    (tmp_path / "spec").mkdir()
    spec = _spec(tmp_path / "spec", exit_code)
    out, summary = tmp_path / "out.txt", tmp_path / "summary.md"
    env = {
        "SPEC": str(spec),
        "ENVIRONMENT": "",
        "EXTRA_ARGS": "--no-history",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    proc = _bash(steps["review"]["run"], env)
    assert proc.returncode == 0, proc.stderr  # the review step itself never fails the job
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs["decision"] == decision
    assert outputs["exit-code"] == str(exit_code)
    report_dir = Path(outputs["report-dir"])
    assert (report_dir / "readiness-report.html").is_file()
    assert (report_dir / "readiness-report.junit.xml").is_file()

    proc = _bash(steps["Job summary"]["run"], {**env, "REPORT_DIR": str(report_dir)})
    assert proc.returncode == 0
    assert summary.read_text() == (report_dir / "readiness-report.md").read_text()

    fail = steps["Fail on NO-GO"]
    proc = _bash(fail["run"], {"CODE": outputs["exit-code"]})
    assert proc.returncode == exit_code
    if exit_code:
        assert "::error title=golive::readiness review is NO-GO" in proc.stdout


def test_action_pins_actions_by_sha() -> None:
    for step in _steps().values():
        if "uses" in step:
            assert len(step["uses"].split("@", 1)[1]) == 40, step["uses"]


def test_pre_commit_hook_runs_golive_validate(tmp_path: Path) -> None:
    (hook,) = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "golive-validate"
    assert hook["pass_filenames"] is False
    spec = _spec(tmp_path, 0)
    cmd = shlex.split(hook["entry"])
    ok = subprocess.run([str(BIN / cmd[0]), *cmd[1:], str(spec)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    (spec / "golive.yaml").write_text("service: {name: demo}\nenvironments: {}\n")
    bad = subprocess.run([str(BIN / cmd[0]), *cmd[1:], str(spec)], capture_output=True, text=True)
    assert bad.returncode == 2
