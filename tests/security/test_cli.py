"""``golive security report|sarif|accept``."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from golive.cli import app
from golive.kit.family import load_target
from golive.security import FAMILY
from golive.security import cli as security_cli
from golive.security.base import Finding, Location, RunState, Severity, ToolRun
from golive.security.findings import build_report
from golive.security.render import dumps
from tests.security.conftest import SARIF_SCHEMA


def _write(dir_: Path, tool: str, severity: Severity, key: str) -> Path:
    finding = Finding(
        tool=tool,
        rule_id=f"{tool}-rule",
        severity=severity,
        title=f"{tool} says",
        location=Location(path="app.py", line=3),
        fingerprint=f"{tool}0000fp{key}",
        dedupe_key=key,
        advice="fix it",
    )
    report = build_report([ToolRun(tool=tool, state=RunState.RAN, findings=(finding,))], [])
    dir_.mkdir(parents=True)
    (dir_ / "findings.json").write_text(dumps(report))
    return dir_ / "findings.json"


def test_report_merges_across_criteria_and_gates(tmp_path: Path) -> None:
    _write(tmp_path / "a", "bandit", Severity.MEDIUM, "same")
    _write(tmp_path / "b", "semgrep", Severity.HIGH, "same")
    result = CliRunner().invoke(app, ["security", "report", str(tmp_path), "--format", "markdown"])
    assert result.exit_code == 1, result.output
    assert result.output.count("- **") == 1 and "semgrep, bandit" in result.output
    ok = CliRunner().invoke(app, ["security", "report", str(tmp_path), "--fail-on", "critical"])
    assert ok.exit_code == 0


def test_sarif_and_accept(tmp_path: Path) -> None:
    path = _write(tmp_path / "a", "semgrep", Severity.HIGH, "k")
    out = tmp_path / "out.sarif"
    result = CliRunner().invoke(app, ["security", "sarif", str(path), "-o", str(out), "--prefix", "svc/"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
    baseline = tmp_path / "baseline.json"
    until = (date.today() + timedelta(days=30)).isoformat()
    result = CliRunner().invoke(
        app,
        [
            "security",
            "accept",
            "semgrep0000fpk",
            "--owner",
            "ann",
            "--reason",
            "tracked in #12",
            "--expires",
            until,
            "--baseline",
            str(baseline),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(baseline.read_text())["accepted"][0]["owner"] == "ann"
    again = CliRunner().invoke(app, ["security", "report", str(path), "--format", "text"])
    assert again.exit_code == 1  # the report was made before the finding was accepted
    bad = CliRunner().invoke(
        app,
        [
            "security",
            "accept",
            "x" * 12,
            "--owner",
            "a",
            "--reason",
            "r",
            "--expires",
            "2001-01-01",
            "--baseline",
            str(baseline),
        ],
    )
    assert bad.exit_code == 2 and "past" in bad.output


def test_family_declaration_points_at_the_security_app_and_checks() -> None:
    assert load_target(FAMILY.commands["security"].target) is security_cli.app
    for name, target in FAMILY.checks.items():
        check = load_target(target)
        assert getattr(check, "name", None) == name, target
