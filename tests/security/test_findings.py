"""Findings model: merging, the baseline, SARIF 2.1.0 and the Markdown remediation plan."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from syrupy.assertion import SnapshotAssertion

from golive.security.base import Finding, Location, RunState, SecurityError, Severity, ToolRun, fingerprint
from golive.security.baseline import BaselineEntry, dump_baseline, load_baseline
from golive.security.findings import build_report, merge
from golive.security.render import from_json, render_markdown, to_json
from golive.security.sarif import to_sarif
from tests.security.conftest import SARIF_SCHEMA

TODAY = date(2026, 6, 1)


def f(
    tool: str, rule: str, sev: Severity, *, key: str = "", path: str = "app.py", line: int = 3, url: str = ""
) -> Finding:
    return Finding(
        tool=tool,
        rule_id=rule,
        severity=sev,
        title=f"{rule} title",
        location=Location(url=url) if url else Location(path=path, line=line),
        fingerprint=fingerprint(tool, rule, path),
        dedupe_key=key,
        advice=f"fix {rule}",
    )


def test_merge_keeps_the_most_serious_and_lists_every_tool() -> None:
    merged = merge(
        [
            f("bandit", "B608", Severity.MEDIUM, key="k"),
            f("semgrep", "sqli", Severity.HIGH, key="k"),
            f("bandit", "B101", Severity.LOW),
        ]
    )
    assert [m.rule_id for m in merged] == ["sqli", "B101"]
    assert merged[0].reported_by == ("semgrep", "bandit") and merged[0].also == ("bandit:B608",)


def test_baseline_suppresses_until_expiry(tmp_path: Path) -> None:
    a, b = f("t", "a", Severity.HIGH), f("t", "b", Severity.CRITICAL)
    entries = [
        BaselineEntry(fingerprint=a.fingerprint, owner="ann", reason="accepted", expires=date(2026, 6, 1)),
        BaselineEntry(fingerprint=b.fingerprint, owner="bob", reason="old", expires=date(2026, 5, 31)),
    ]
    path = tmp_path / "baseline.json"
    path.write_text(dump_baseline(entries))
    loaded = load_baseline(path)
    assert list(loaded) == entries
    run = ToolRun(tool="t", state=RunState.RAN, findings=(a, b))
    report = build_report([run], loaded, today=TODAY)
    assert [x.rule_id for x in report.findings] == ["b"]
    assert [s.finding.rule_id for s in report.suppressed] == ["a"]
    assert report.expired == (entries[1],) and "expired on 2026-05-31" in report.warnings[0]
    assert report.blocking(Severity.HIGH) == (report.findings[0],)


def test_bad_baseline_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"accepted": [{"fingerprint": "12345678", "owner": "x"}]}))
    with pytest.raises(SecurityError, match="not a valid security baseline"):
        load_baseline(path)
    assert load_baseline(tmp_path / "missing.json") == ()


def _report() -> object:
    findings = (
        f("semgrep", "golive.python.sql", Severity.HIGH),
        f("golive-probe", "golive.probe.auth.no-token", Severity.CRITICAL, url="http://127.0.0.1:1/admin"),
        f("bandit", "B101", Severity.LOW, line=0),
    )
    accepted = f("osv", "PYSEC-1", Severity.HIGH, path="requirements.txt")
    entry = BaselineEntry(
        fingerprint=accepted.fingerprint, owner="ann", reason="no fix yet", expires=date(2026, 12, 31)
    )
    runs = [ToolRun(tool=x.tool, state=RunState.RAN, findings=(x,)) for x in (*findings, accepted)]
    runs.append(ToolRun(tool="checkov", state=RunState.SKIPPED, reason="checkov is not installed"))
    return build_report(runs, [entry], today=TODAY, target="/srv/app")


def test_sarif_validates_and_carries_github_fields() -> None:
    report = _report()
    doc = to_sarif(report, prefix="examples/app/")  # type: ignore[arg-type]
    errors = list(jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).iter_errors(doc))
    assert not errors, errors[0]
    runs = {r["tool"]["driver"]["name"]: r for r in doc["runs"]}
    assert set(runs) == {"semgrep", "golive-probe", "bandit", "osv", "checkov"}
    sem = runs["semgrep"]["results"][0]
    assert sem["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "examples/app/app.py"
    assert runs["semgrep"]["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "8.0"
    assert sem["partialFingerprints"]["goliveFindingHash/v1"]
    assert runs["osv"]["results"][0]["suppressions"][0]["status"] == "accepted"
    assert "region" not in runs["bandit"]["results"][0]["locations"][0]["physicalLocation"]


def test_json_round_trip() -> None:
    report = _report()
    assert from_json(json.loads(json.dumps(to_json(report)))) == report  # type: ignore[arg-type]


def test_markdown_remediation_plan(snapshot: SnapshotAssertion) -> None:
    text = render_markdown(_report())  # type: ignore[arg-type]
    assert text.index("### Critical") < text.index("### High") < text.index("### Low")
    assert text == snapshot
