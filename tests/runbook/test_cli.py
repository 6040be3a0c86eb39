"""``golive signoff`` and ``golive report`` from the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from golive.cli import app
from golive.history.store import open_store
from tests.fixtures.runbook.reviews import make_review
from tests.runbook.conftest import FIXTURES

runner = CliRunner()


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(FIXTURES / "spec", root)
    return root


def _save(root: Path, go: bool) -> int:
    with open_store(None, root=root) as db:
        return db.save_review(make_review(go))


def _signoff(root: Path, *args: str):
    return runner.invoke(app, ["signoff", str(root), "--env", "staging", *args])


def test_go_signoff_on_a_nogo_review_needs_an_override(spec_dir: Path, snapshot) -> None:
    _save(spec_dir, go=False)
    result = _signoff(spec_dir, "--as", "Alice", "--role", "Engineering lead", "--decision", "go")
    assert result.exit_code == 2
    assert result.output == snapshot
    with open_store(None, root=spec_dir) as db:
        assert db.signoffs("demo", "staging") == []


def test_override_is_recorded_and_reported(spec_dir: Path) -> None:
    review_id = _save(spec_dir, go=False)
    result = _signoff(
        spec_dir,
        "--as",
        "Alice",
        "--role",
        "Engineering lead",
        "--decision",
        "GO",
        "--override",
        "launch date is contractual",
        "--comment",
        "DR drill Monday",
    )
    assert result.exit_code == 0, result.output
    assert "signed GO (override) by Alice" in result.output
    with open_store(None, root=spec_dir) as db:
        [record] = db.signoffs("demo", "staging")
    assert (record.decision, record.override_reason, record.review_id) == (
        "GO",
        "launch date is contractual",
        review_id,
    )
    report = runner.invoke(app, ["report", str(spec_dir), "--env", "staging"])
    assert report.exit_code == 1, report.output  # the review is still NO-GO
    md = (spec_dir / ".golive" / "reports" / "readiness-package.md").read_text()
    assert "**GO (override)**" in md and "launch date is contractual" in md
    assert (spec_dir / ".golive" / "reports" / "readiness-package.html").is_file()


def test_nogo_signoff_needs_no_override(spec_dir: Path) -> None:
    _save(spec_dir, go=False)
    result = _signoff(spec_dir, "--as", "Bob", "--role", "Operations", "--decision", "no-go")
    assert result.exit_code == 0, result.output


def test_override_is_refused_on_a_go_review(spec_dir: Path) -> None:
    _save(spec_dir, go=True)
    result = _signoff(spec_dir, "--as", "A", "--role", "R", "--decision", "go", "--override", "why")
    assert result.exit_code == 2
    assert "--override is only for signing GO on a NO-GO review" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as", "A", "--role", "R", "--decision", "maybe"], "decision must be go or no-go"),
        (["--role", "R", "--decision", "go"], "missing --as"),
        (["--as", "A", "--role", "R", "--decision", "go", "--env", "prod"], "unknown environment"),
    ],
)
def test_bad_signoff_input(spec_dir: Path, args: list[str], message: str) -> None:
    _save(spec_dir, go=True)
    result = _signoff(spec_dir, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_signoff_without_a_review(spec_dir: Path) -> None:
    result = _signoff(spec_dir, "--as", "A", "--role", "R", "--decision", "go")
    assert result.exit_code == 2
    assert "no complete review of demo in staging to sign" in result.output


def test_report_exit_code_follows_the_decision(spec_dir: Path, tmp_path: Path) -> None:
    _save(spec_dir, go=True)
    out = tmp_path / "pkg"
    result = runner.invoke(
        app, ["report", str(spec_dir), "-o", str(out), "-f", "markdown", "--require-role", "sre"]
    )
    assert result.exit_code == 0, result.output
    assert "GO demo (staging): readiness 100.0%; Waiting for sign-off from: sre" in result.output
    assert [p.name for p in out.iterdir()] == ["readiness-package.md"]
    # the spec's deploy: rollback commands make the rollback plan
    assert "./deploy.sh --rollback" in (out / "readiness-package.md").read_text()


def test_report_without_history(spec_dir: Path) -> None:
    result = runner.invoke(app, ["report", str(spec_dir)])
    assert result.exit_code == 2
    assert "no review of demo in staging in history; run `golive review` first" in result.output
