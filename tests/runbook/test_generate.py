"""``golive init runbook``: the generated runbook, and its steps against a real storefront."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from typer.testing import CliRunner

from golive.checks.registry import CheckRegistry
from golive.cli import app
from golive.results import Status
from golive.runbook._markdown import parse_runbook
from golive.runbook.generate import Probe, gather_facts, render_runbook
from golive.spec import SpecLoader
from tests.fixtures.servers import STOREFRONT, Server
from tests.runbook.conftest import FIXTURES, RUNBOOK, run_check


class MarkdownSnapshot(SingleFileSnapshotExtension):
    """One readable .md file per snapshot."""

    _write_mode = WriteMode.TEXT
    file_extension = "md"


def _spec(tmp_path: Path) -> Path:
    root = tmp_path / "spec"
    shutil.copytree(FIXTURES / "spec", root)
    return root


def test_generated_runbook_from_the_spec(tmp_path: Path, snapshot) -> None:
    root = _spec(tmp_path)
    spec = SpecLoader(CheckRegistry.default()).load(root)
    probe = Probe(
        base_url="http://127.0.0.1:9",
        healthy=True,
        readyz_path="/readyz",
        ready_status="ready",
        dependencies=("database", "events"),
        metric="http_requests_total",
        version=True,
        openapi=True,
        error_codes=(("401", "Unauthorized"), ("429", "Too Many Requests")),
    )
    facts = gather_facts(spec, runbook_path=root / RUNBOOK, probe=probe, today=date(2024, 5, 1))
    text = render_runbook(facts)
    assert text == snapshot(extension_class=MarkdownSnapshot)
    doc = parse_runbook(text)
    assert not doc.problems
    # alerts get the anchors their runbook_url points at
    assert {"higherrorrate", "health-checks"} <= doc.anchors
    # deploy and rollback commands come from the deploy: section
    assert "./deploy.sh --version ${VERSION}" in text and "./deploy.sh --rollback" in text
    assert "`dr.restore`: A backup restores within the RTO" in text


def test_generated_runbook_without_probe_is_still_checkable(tmp_path: Path) -> None:
    root = _spec(tmp_path)
    result = CliRunner().invoke(app, ["init", "runbook", str(root), "--no-probe"])
    assert result.exit_code == 0, result.output
    out = run_check(root, {"readyz_path": None}, base_url="http://127.0.0.1:9")
    # the blanks are reported: the team must fill them in
    assert out.status is Status.FAIL
    assert "placeholder(s) left, first 'TODO'" in out.summary
    # but the structure and the cross-references are right
    excerpt = out.evidence.excerpt
    assert "missing section" not in excerpt and "anchor" not in excerpt
    assert "is not used by the deploy configuration" not in excerpt


def test_init_refuses_to_overwrite_a_runbook_golive_did_not_write(tmp_path: Path) -> None:
    root = _spec(tmp_path)
    (root / "docs").mkdir()
    (root / RUNBOOK).write_text("# mine\n")
    result = CliRunner().invoke(app, ["init", "runbook", str(root), "--no-probe"])
    assert result.exit_code == 2
    assert "already exists with changes golive did not write; pass --force" in result.output
    assert (root / RUNBOOK).read_text() == "# mine\n"
    forced = CliRunner().invoke(app, ["init", "runbook", str(root), "--no-probe", "--force"])
    assert forced.exit_code == 0, forced.output
    assert (root / RUNBOOK).read_text().startswith("# Production runbook: demo")


def test_init_rewrites_its_own_runbook_but_keeps_the_teams_edits(tmp_path: Path) -> None:
    root = _spec(tmp_path)
    init = ["init", "runbook", str(root), "--no-probe"]
    assert CliRunner().invoke(app, init).exit_code == 0
    generated = (root / RUNBOOK).read_text()
    # Untouched since golive wrote it: a re-run may replace it (here, with a newer spec).
    spec = root / "golive.yaml"
    spec.write_text(spec.read_text().replace("A demo service", "The demo service"))
    again = CliRunner().invoke(app, init)
    assert again.exit_code == 0, again.output
    assert "The demo service" in (root / RUNBOOK).read_text()
    # Once the team fills in a blank, the runbook is theirs.
    edited = generated.replace("TODO(team)", "Dana Smith", 1)
    assert edited != generated
    (root / RUNBOOK).write_text(edited)
    refused = CliRunner().invoke(app, init)
    assert refused.exit_code == 2
    assert (root / RUNBOOK).read_text() == edited


@pytest.mark.slow
def test_generated_steps_pass_against_storefront(
    tmp_path: Path, storefront_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "sf"
    root.mkdir()
    (root / "golive.yaml").write_text(
        "service: {name: storefront, owner: shop-team}\n"
        "environments:\n  staging:\n    base_url: ${SF_URL}\n"
        "criteria:\n  - {id: runbook.tested, title: Runbook, area: runbook, tier: must,"
        " check: {type: runbook}}\n"
    )
    monkeypatch.setenv("SF_URL", storefront_server.url)
    result = CliRunner().invoke(app, ["init", "runbook", str(root)])
    assert result.exit_code == 0, result.output
    assert "7 verify steps" in result.output and "2 dependencies" in result.output
    out = run_check(root, base_url=storefront_server.url)
    values = {m.name: m.value for m in out.measurements}
    assert values["verify_steps_passed"] == 7, out.evidence.excerpt
    assert values["dependencies_cross_checked"] == 2
    # Only what the team must fill in is left.
    assert out.summary.startswith("10 placeholder(s) left"), out.summary
    filled = run_check(root, {"placeholders": []}, base_url=storefront_server.url)
    assert filled.status is Status.PASS, filled.evidence.excerpt


@pytest.mark.slow
def test_storefront_runbook_passes_against_a_running_storefront(
    storefront_server: Server,
) -> None:
    assert (STOREFRONT / RUNBOOK).is_file()
    before = (STOREFRONT / RUNBOOK).read_text()
    out = run_check(STOREFRONT, base_url=storefront_server.url, env_name="local")
    assert out.status is Status.PASS, out.evidence.excerpt
    assert "9/9 verify steps passed against local" in out.summary
    assert (STOREFRONT / RUNBOOK).read_text() == before


def test_alert_anchor_that_is_no_heading_gets_an_explicit_anchor(tmp_path: Path) -> None:
    root = _spec(tmp_path)
    rules = (root / "alerts.yml").read_text().replace("#higherrorrate", "#errors-high")
    (root / "alerts.yml").write_text(rules)
    result = CliRunner().invoke(app, ["init", "runbook", str(root), "--no-probe"])
    assert result.exit_code == 0, result.output
    text = (root / RUNBOOK).read_text()
    assert text.count("<a id=") == 1 and '<a id="errors-high"></a>' in text
    out = run_check(root, {"readyz_path": None}, base_url="http://127.0.0.1:9")
    assert "anchor" not in out.evidence.excerpt
    assert {m.name: m.value for m in out.measurements}["alerts_cross_checked"] == 2
