"""`golive init [PATH]`: the spec writer's command, beside the generators' sub-commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from golive.cli import app


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_help_shows_the_spec_options_and_every_generator() -> None:
    result = _run("init", "--help")
    assert result.exit_code == 0, result.output
    for word in (
        "[PATH]",
        "--explain",
        "--dry-run",
        "--force",
        "--output",
        "ci",
        "dr",
        "monitoring",
        "runbook",
    ):
        assert word in result.output
    sub = _run("init", "ci", "--help")
    assert sub.exit_code == 0 and "GitHub Actions" in sub.output


def test_spec_options_before_a_generator_are_refused() -> None:
    result = _run("init", "--force", "runbook", "--help")
    assert result.exit_code == 2
    assert "write them after the command" in result.output


def test_a_path_that_is_not_a_directory_is_bad_input(tmp_path: Path) -> None:
    result = _run("init", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert "is not a directory" in result.output


needs_discovery = pytest.mark.skipif(
    not (Path(__file__).parents[2] / "src/golive/discover/_discover.py").exists(),
    reason="discovery (golive.discover._discover) is not written yet",
)


@needs_discovery
def test_init_writes_a_spec_that_validates_and_never_overwrites_one(tmp_path: Path) -> None:
    result = _run("init", str(tmp_path))
    assert result.exit_code == 0, result.output
    spec = tmp_path / "golive.yaml"
    assert "criteria" in spec.read_text()
    assert _run("validate", str(tmp_path)).exit_code == 0
    spec.write_text("# mine\n")
    again = _run("init", str(tmp_path))
    assert again.exit_code == 2 and "--force" in again.output
    assert spec.read_text() == "# mine\n"
    assert _run("init", str(tmp_path), "--force").exit_code == 0
    assert spec.read_text() != "# mine\n"


@needs_discovery
def test_explain_and_dry_run_write_nothing(tmp_path: Path) -> None:
    explained = _run("init", "--explain", str(tmp_path))
    assert explained.exit_code == 0, explained.output
    assert "Discovered in" in explained.output
    dry = _run("init", str(tmp_path), "--dry-run")
    assert dry.exit_code == 0 and "criteria:" in dry.output
    assert not (tmp_path / "golive.yaml").exists()
    out = tmp_path / "elsewhere.yaml"
    assert _run("init", str(tmp_path), "--explain", "--output", str(out)).exit_code == 0
    assert out.is_file()


def test_explain_never_cuts_a_source_path_on_a_narrow_terminal(tmp_path: Path) -> None:
    deep = tmp_path / "backend" / "app" / "api" / "routes" / "monitoring_and_utilities"
    deep.mkdir(parents=True)
    (tmp_path / "backend" / "pyproject.toml").write_text(
        '[project]\nname = "svc"\ndependencies = ["fastapi"]\n'
    )
    (deep / "health_endpoints.py").write_text(
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
        '@router.get("/health-check/")\ndef ok():\n    return True\n'
    )
    explained = _run("init", "--explain", str(tmp_path))
    assert explained.exit_code == 0, explained.output
    text = explained.output.replace("\n", "")
    assert "backend/app/api/routes/monitoring_and_utilities/health_endpoints.py" in text
    assert "…" not in explained.output
