"""``golive init ci`` (src/golive/testing/cli.py, _init_ci.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from golive.cli import app
from golive.testing._init_ci import PINS

runner = CliRunner()


def test_init_ci_writes_pinned_least_privilege_workflows(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["init", "ci", str(tmp_path), "--working-directory", "svc", "--coverage", "85"]
    )
    assert result.exit_code == 0, result.output
    ci = (tmp_path / ".github" / "workflows" / "ci.yml").read_text()
    cd = (tmp_path / ".github" / "workflows" / "cd.yml").read_text()
    assert "--cov-fail-under=85" in ci
    assert "working-directory: svc" in ci and "path: svc/reports/" in ci
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
        [str(zizmor), "--offline", ".github/workflows"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout


def test_init_ci_rewrites_its_own_workflows_but_keeps_the_teams(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "ci", str(tmp_path)]).exit_code == 0
    ci = tmp_path / ".github" / "workflows" / "ci.yml"
    # Untouched since golive wrote them: a re-run (here with another gate) replaces them.
    again = runner.invoke(app, ["init", "ci", str(tmp_path), "--coverage", "90"])
    assert again.exit_code == 0, again.output
    assert "--cov-fail-under=90" in ci.read_text()
    # A workflow the team changed is theirs: kept unless --force.
    mine = ci.read_text() + "# ours\n"
    ci.write_text(mine)
    result = runner.invoke(app, ["init", "ci", str(tmp_path), "--coverage", "85"])
    assert result.exit_code == 2
    assert "already exist with changes golive did not write; pass --force to overwrite" in result.output
    assert ci.read_text() == mine
    assert runner.invoke(app, ["init", "ci", str(tmp_path), "--force"]).exit_code == 0
    assert "# ours" not in ci.read_text()
