"""``golive review --reuse``: the second run of an unchanged spec reuses, a bad window is exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.review import crit, write_spec


def golive(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "golive", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_second_review_reuses_with_the_flag(tmp_path: Path) -> None:
    (tmp_path / "RUNBOOK.md").write_text("# Runbook\n\n## Rollback\n\nRun `make rollback`.\n")
    write_spec(
        tmp_path, [crit("docs.runbook", {"type": "file", "path": "RUNBOOK.md", "headings": ["Rollback"]})]
    )
    first = golive("review", "golive.yaml", "--reuse", "24h", "-f", "json", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    second = golive("review", "golive.yaml", "--reuse", "24h", "-f", "json", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Reused evidence: docs.runbook (reused from review #1" in second.stdout
    report = json.loads((tmp_path / ".golive/reports/readiness-report.json").read_text())
    assert report["results"][0]["reused"]["review_id"] == 1
    # Without the flag (and no `reuse:` in the spec) the check runs again.
    third = golive("review", "golive.yaml", "-f", "json", cwd=tmp_path)
    assert "Reused evidence" not in third.stdout
    report = json.loads((tmp_path / ".golive/reports/readiness-report.json").read_text())
    assert report["results"][0]["reused"] is None


def test_a_bad_window_is_bad_input(tmp_path: Path) -> None:
    write_spec(tmp_path, [crit("docs.runbook", {"type": "file", "path": "RUNBOOK.md"})])
    done = golive("review", "golive.yaml", "--reuse", "soon", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--reuse 'soon'" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
