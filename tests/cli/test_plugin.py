"""A third-party family through the one door: its check type, CLI sub-command and reporter."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.fixtures.plugin import install_plugin


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The plugin installed as a distribution, outside golive's own tree."""
    return install_plugin(tmp_path)


def golive(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real golive CLI in a child with the plugin on its path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "golive", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def write_spec(tmp: Path, min_files: int) -> Path:
    project = tmp / "project"
    (project / "data").mkdir(parents=True)
    for i in range(3):
        (project / "data" / f"{i}.txt").write_text("x")
    (project / "golive.yaml").write_text(
        textwrap.dedent(
            f"""
            service: {{name: acme-svc}}
            environments: {{local: {{base_url: "http://127.0.0.1:9"}}}}
            criteria:
              - id: data.files
                title: Data files are present
                area: dr
                tier: must
                check: {{type: acme.file_count, path: data, min_files: {min_files}}}
            """
        )
    )
    return project


def test_plugin_command_is_listed_and_runs(site: Path, tmp_path: Path) -> None:
    top = golive(site, "--help", cwd=tmp_path)
    assert top.returncode == 0, top.stderr
    assert "acme" in top.stdout and "ACME helpers." in top.stdout
    hello = golive(site, "acme", "hello", "--name", "ops", cwd=tmp_path)
    assert hello.returncode == 0, hello.stderr
    assert hello.stdout.strip() == "hello ops from acme"


def test_plugin_check_type_and_reporter_in_a_review(site: Path, tmp_path: Path) -> None:
    project = write_spec(tmp_path, min_files=3)
    listed = golive(site, "list-checks", cwd=project)
    assert "acme.file_count" in listed.stdout
    out = tmp_path / "reports"
    go = golive(
        site,
        "review",
        str(project),
        "--no-history",
        "-f",
        "acme-csv",
        "-f",
        "json",
        "-o",
        str(out),
        cwd=project,
    )
    assert go.returncode == 0, go.stdout + go.stderr
    rows = list(csv.reader((out / "readiness-report.csv").read_text().splitlines()))
    assert rows[1] == ["data.files", "pass", "3 files in data"]
    report = json.loads((out / "readiness-report.json").read_text())
    assert report["results"][0]["measurements"][0]["value"] == 3


def test_plugin_check_fails_on_a_real_miss(site: Path, tmp_path: Path) -> None:
    project = write_spec(tmp_path, min_files=5)
    nogo = golive(
        site, "review", str(project), "--no-history", "-f", "acme-csv", "-o", str(tmp_path / "r"), cwd=project
    )
    assert nogo.returncode == 1, nogo.stdout + nogo.stderr
    rows = list(csv.reader((tmp_path / "r" / "readiness-report.csv").read_text().splitlines()))
    assert rows[1] == ["data.files", "fail", "3 files in data, expected at least 5"]


def test_unknown_plugin_format_is_bad_input(site: Path, tmp_path: Path) -> None:
    project = write_spec(tmp_path, min_files=1)
    bad = golive(site, "review", str(project), "--no-history", "-f", "acme-cvs", cwd=project)
    assert bad.returncode == 2
    assert "did you mean 'acme-csv'" in bad.stderr
