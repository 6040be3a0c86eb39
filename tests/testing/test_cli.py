"""``golive init ci`` (src/golive/testing/cli.py, _init_ci.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from golive.cli import app
from golive.testing._ci_facts import options_from_facts
from golive.testing._init_ci import PINS, render
from tests.testing.complete_service import complete_service

runner = CliRunner()


def test_generated_workflows_are_pinned_least_privilege_and_lint_clean(tmp_path: Path) -> None:
    facts = complete_service(tmp_path)
    files = render(options_from_facts(facts, coverage=85))
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    for name, text in files.items():
        (tmp_path / ".github" / "workflows" / name).write_text(text)
    ci, cd = files["ci.yml"], files["cd.yml"]
    assert "--cov=shop --cov-branch --cov-report=xml:reports/coverage.xml --cov-fail-under=85" in ci
    assert "permissions: {}" in ci and "permissions: {}" in cd
    for text in (ci, cd):
        for line in text.splitlines():
            if "uses: " in line and "/.github/workflows/" not in line:
                ref = line.split("@", 1)[1].split()[0]
                assert len(ref) == 40, line  # a full commit SHA, never a tag
    assert PINS["checkout"] in ci
    assert "environment:\n      name: production" in cd
    assert "if: ${{ failure() }}" in cd
    # zizmor, the same tool ci.pipeline runs, has nothing to say.
    zizmor = Path(sys.executable).parent / "zizmor"
    proc = subprocess.run(
        [str(zizmor), "--offline", ".github/workflows"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout


def test_a_file_instead_of_a_directory_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    result = runner.invoke(app, ["init", "ci", str(tmp_path / "f")])
    assert result.exit_code == 2
    assert "not a directory" in result.output


def test_init_ci_rewrites_its_own_workflows_but_keeps_the_teams(tmp_path: Path) -> None:
    complete_service(tmp_path)
    assert runner.invoke(app, ["init", "ci", str(tmp_path)]).exit_code == 0
    ci = tmp_path / ".github" / "workflows" / "ci.yml"
    # Untouched since golive wrote them: a re-run (here with another lint command) replaces them.
    again = runner.invoke(app, ["init", "ci", str(tmp_path), "--lint", "ruff check src"])
    assert again.exit_code == 0, again.output
    assert "ruff check src" in ci.read_text()
    # A workflow the team changed is theirs: kept unless --force.
    mine = ci.read_text() + "# ours\n"
    ci.write_text(mine)
    result = runner.invoke(app, ["init", "ci", str(tmp_path)])
    assert result.exit_code == 2
    assert "already exist with changes golive did not write; pass --force to overwrite" in result.output
    assert ci.read_text() == mine
    assert runner.invoke(app, ["init", "ci", str(tmp_path), "--force"]).exit_code == 0
    assert "# ours" not in ci.read_text()
