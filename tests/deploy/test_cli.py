"""golive deploy / golive rollback on the command line: exit codes, output, history."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from golive.cli import app
from golive.deploy.deployer import lock_name
from golive.history.store import open_store
from tests.fixtures.deploy import fake_tool, make_spec_dir, write_yaml

runner = CliRunner()


def _spec(tmp: Path, base_url: str) -> Path:
    log = tmp / "calls.log"
    tool = fake_tool(tmp / "tool", log, 'echo "$VERSION" > current')
    status = fake_tool(tmp / "status", log, "cat current 2>/dev/null || true")
    (tmp / "current").write_text("1.0.0\n")
    return make_spec_dir(
        tmp,
        {
            "driver": {
                "type": "command",
                "deploy": [str(tool)],
                "rollback": [str(tool)],
                "status": [str(status)],
            },
            "gates": {"review": {"enabled": False}},
            "verify": {"analysis": {"interval": "0.05s", "count": 2, "probe": {"requests": 2}}},
        },
        base_url=base_url,
    )


def test_deploy_then_history_shows_it(tmp_path: Path, http_base: str) -> None:
    spec = _spec(tmp_path, http_base)
    result = runner.invoke(app, ["deploy", str(spec), "--env", "staging", "--version", "1.1.0"])
    assert result.exit_code == 0, result.output
    assert "succeeded shop 1.1.0 -> staging" in result.output
    assert ">> deploy 1.1.0 (rolling)" in result.output
    assert "measurement 2/2 ok" in result.output
    reports = sorted((spec / ".golive" / "deploys").glob("staging-1.1.0-*.md"))
    assert reports and "# Deploy of shop 1.1.0 to staging: succeeded" in reports[0].read_text()
    history = runner.invoke(app, ["history", str(spec), "--deploys"])
    assert history.exit_code == 0, history.output
    assert "1.1.0" in history.output and "succeeded" in history.output


def test_dry_run_prints_the_plan_and_exits_0(tmp_path: Path, http_base: str) -> None:
    spec = _spec(tmp_path, http_base)
    result = runner.invoke(app, ["deploy", str(spec), "--env", "staging", "--version", "2.0.0", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "plan: deploy:" in result.output and "dry-run" in result.output
    assert (tmp_path / "current").read_text().strip() == "1.0.0"


def test_report_dir_in_a_files_place_is_refused_before_deploying(tmp_path: Path, http_base: str) -> None:
    spec = _spec(tmp_path, http_base)
    (tmp_path / "file").write_text("")
    args = ["deploy", str(spec), "--env", "staging", "--version", "2.0.0", "-o", str(tmp_path / "file")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "not a directory" in result.output
    assert not (tmp_path / "calls.log").exists()  # neither deployed nor asked for the status
    assert (tmp_path / "current").read_text().strip() == "1.0.0"


def test_locked_deploy_exits_1(tmp_path: Path, http_base: str) -> None:
    spec = _spec(tmp_path, http_base)
    with open_store(None, root=spec) as store:
        store.acquire_lock(lock_name("shop", "staging"), "someone-else", 60)
    result = runner.invoke(app, ["deploy", str(spec), "--env", "staging", "--version", "2.0.0"])
    assert result.exit_code == 1
    assert "another deploy of shop to staging is in progress" in result.output


def test_bad_deploy_config_exits_2_with_position(tmp_path: Path, http_base: str) -> None:
    spec = _spec(tmp_path, http_base)
    write_yaml(
        spec / "deploy.yaml", {"deploy": {"driver": {"type": "command", "deploy": ["x"]}, "stratgy": "x"}}
    )
    result = runner.invoke(app, ["deploy", str(spec), "--env", "staging", "--version", "2.0.0"])
    assert result.exit_code == 2
    assert "deploy.yaml:2:" in result.output and "missing required field 'rollback'" in result.output
    assert "unknown field 'stratgy' (did you mean 'strategy'?)" in result.output


def test_unknown_env_and_missing_version_are_usage_errors(tmp_path: Path, http_base: str) -> None:
    spec = _spec(tmp_path, http_base)
    assert runner.invoke(app, ["deploy", str(spec), "--env", "prod", "--version", "1"]).exit_code == 2
    result = runner.invoke(app, ["deploy", str(spec), "--env", "staging"])
    assert result.exit_code == 2 and "--version is required" in result.output


def test_rollback_without_history_says_how(tmp_path: Path, http_base: str) -> None:
    spec = _spec(tmp_path, http_base)
    result = runner.invoke(app, ["rollback", str(spec), "--env", "staging"])
    assert result.exit_code == 3
    assert "no previous good deploy" in result.output and "--to VERSION" in result.output
    result = runner.invoke(app, ["rollback", str(spec), "--env", "staging", "--to", "0.9.0"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "current").read_text().strip() == "0.9.0"


def test_down_applies_to_the_local_driver_only(tmp_path: Path, http_base: str) -> None:
    spec = _spec(tmp_path, http_base)
    result = runner.invoke(app, ["deploy", str(spec), "--env", "staging", "--down"])
    assert result.exit_code == 2 and "--down only applies to the local driver" in result.output
    (tmp_path / "local").mkdir()
    local = make_spec_dir(
        tmp_path / "local",
        {"driver": {"type": "local", "command": ["true"], "state_dir": str(tmp_path / "state")}},
    )
    result = runner.invoke(app, ["deploy", str(local), "--env", "staging", "--down"])
    assert result.exit_code == 0, result.output
    assert "stopped the local deployment of shop (staging)" in result.output
