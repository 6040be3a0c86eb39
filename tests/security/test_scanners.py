"""The scanner checks against the planted-issues app and against storefront.

Each check runs once per target (module-scoped fixtures): semgrep and checkov start slowly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from golive.results import Outcome, Status
from golive.security import checks as sec
from golive.security.render import from_json
from tests.fixtures.servers import STOREFRONT
from tests.security.conftest import OSV_DIR, PLANTED_SECRET, SARIF_SCHEMA, VULNAPP, run_check

pytestmark = pytest.mark.slow


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """vulnapp copied into a fresh git repo whose history also holds a removed secret."""
    root = tmp_path_factory.mktemp("planted") / "app"
    shutil.copytree(VULNAPP, root)
    _git(root, "init", "-q")
    (root / "settings.py").write_text('GITHUB_TOKEN = "ghp_' + "Zq8" * 12 + '"\n')
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "initial")
    (root / "settings.py").write_text("import os\nGITHUB_TOKEN = os.environ['GITHUB_TOKEN']\n")
    _git(root, "commit", "-qam", "read token from env")
    outcomes: dict[str, Outcome] = {}
    art = tmp_path_factory.mktemp("planted-artifacts")
    for cls, params in (
        (sec.SastCheck, {}),
        (sec.SecretsCheck, {}),
        (sec.DependenciesCheck, {"osv_db": str(OSV_DIR)}),
        (sec.IacCheck, {}),
        (sec.WorkflowsCheck, {}),
    ):
        outcomes[cls.name] = run_check(cls, params, root, artifacts=art / cls.name)
    return {"root": root, "outcomes": outcomes, "artifacts": art}


def _findings(outcome: Outcome) -> list[Any]:
    path = next(a for a in outcome.evidence.artifacts if a.endswith("findings.json"))
    return list(from_json(json.loads(Path(path).read_text())).findings)


def _one(outcome: Outcome, rule_prefix: str) -> Any:
    hits = [
        f
        for f in _findings(outcome)
        if f.rule_id.startswith(rule_prefix)
        or any(a.split(":", 1)[1].startswith(rule_prefix) for a in f.also)
    ]
    assert hits, f"no {rule_prefix} finding in {[f.rule_id for f in _findings(outcome)]}"
    return hits[0]


def test_sql_injection_found_by_both_analysers_and_merged(planted: dict[str, Any]) -> None:
    outcome = planted["outcomes"]["security.sast"]
    assert outcome.status is Status.FAIL
    f = _one(outcome, "golive.python.sql-injection")
    assert (f.location.path, f.location.line) == ("app.py", 27)
    assert set(f.reported_by) == {"semgrep", "bandit"}
    assert f.severity.value == "high" and "CWE-89" in f.cwe
    assert "bound parameters" in f.advice


def test_secret_found_in_tree_and_history_never_printed(planted: dict[str, Any]) -> None:
    outcome = planted["outcomes"]["security.secrets"]
    assert outcome.status is Status.FAIL
    aws = _one(outcome, "secret.aws-access-key")
    assert (aws.location.path, aws.location.line) == ("app.py", 15)
    gh = _one(outcome, "secret.github-token")
    assert gh.location.path == "settings.py" and "commit" in gh.title and "history" in gh.advice
    texts = [outcome.summary, outcome.evidence.excerpt, outcome.reproducer]
    for art_dir in planted["artifacts"].iterdir():
        texts += [p.read_text() for p in art_dir.iterdir()]
    for text in texts:
        assert PLANTED_SECRET not in text
        assert "Zq8Zq8Zq8" not in text


def test_vulnerable_dependencies_and_sbom(planted: dict[str, Any]) -> None:
    outcome = planted["outcomes"]["security.dependencies"]
    assert outcome.status is Status.FAIL
    pyyaml = _one(outcome, "PYSEC-2021-142")
    assert pyyaml.severity.value == "critical"
    assert (pyyaml.location.path, pyyaml.location.line) == ("requirements.txt", 3)
    assert "Upgrade pyyaml to 5.4" in pyyaml.advice
    lodash = _one(outcome, "GHSA-p6mc-m468-83gw")
    assert lodash.location.path == "package-lock.json"
    assert not [f for f in _findings(outcome) if "requests" in f.title]  # withdrawn advisory
    assert "days old" in outcome.evidence.excerpt  # the fixture export is stale
    sbom = json.loads(Path(next(a for a in outcome.evidence.artifacts if "sbom" in a)).read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.5"
    assert "pkg:pypi/pyyaml@5.3.1" in {c["purl"] for c in sbom["components"]}


def test_iac_root_container_and_kubernetes_rules(planted: dict[str, Any]) -> None:
    outcome = planted["outcomes"]["security.iac"]
    assert outcome.status is Status.FAIL
    root = [f for f in _findings(outcome) if f.location.path == "Dockerfile" and f.severity.value == "high"]
    assert root and "USER" in root[0].advice
    rules = {f.rule_id for f in _findings(outcome)} | {
        a.split(":", 1)[1] for f in _findings(outcome) for a in f.also
    }
    for rule in (
        "golive.k8s.probes",
        "golive.k8s.resources",
        "golive.k8s.non-root",
        "golive.k8s.read-only-rootfs",
        "golive.k8s.pdb",
        "golive.k8s.image-tag",
        "golive.compose.privileged",
    ):
        assert rule in rules


def test_workflow_template_injection(planted: dict[str, Any]) -> None:
    outcome = planted["outcomes"]["security.workflows"]
    assert outcome.status is Status.FAIL
    f = _one(outcome, "template-injection")
    assert (f.location.path, f.location.line) == (".github/workflows/ci.yml", 11)


def test_every_sarif_validates_against_the_schema(planted: dict[str, Any]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema)
    for outcome in planted["outcomes"].values():
        path = next(a for a in outcome.evidence.artifacts if a.endswith(".sarif"))
        doc = json.loads(Path(path).read_text())
        errors = sorted(validator.iter_errors(doc), key=str)
        assert not errors, errors[0]
        assert doc["version"] == "2.1.0" and doc["runs"]


# --- storefront -----------------------------------------------------------------------------

STOREFRONT_CRITERIA: list[tuple[Any, dict[str, Any]]] = [
    (sec.SastCheck, {"exclude": ["tests", "e2e"], "baseline": "deploy/security-baseline.json"}),
    (sec.SecretsCheck, {"baseline": "deploy/security-baseline.json"}),
    (sec.DependenciesCheck, {"files": ["deploy/requirements.lock"], "osv_db": str(OSV_DIR)}),
    (sec.IacCheck, {"path": "deploy"}),
    (sec.WorkflowsCheck, {}),
]


@pytest.mark.parametrize(("cls", "params"), STOREFRONT_CRITERIA, ids=lambda v: getattr(v, "name", ""))
def test_storefront_is_clean(cls: Any, params: dict[str, Any], tmp_path: Path) -> None:
    outcome = run_check(cls, params, STOREFRONT, artifacts=tmp_path)
    assert outcome.status is Status.PASS, outcome.summary + "\n" + outcome.evidence.excerpt
    high = [m for m in outcome.measurements if m.name in ("findings_critical", "findings_high")]
    assert all(m.value == 0 for m in high)


def test_missing_tool_skips_with_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import golive.security._sast as sast

    monkeypatch.setattr(sast, "find_tool", lambda name: None)
    outcome = run_check(sec.SastCheck, {"path": str(VULNAPP)}, tmp_path)
    assert outcome.status is Status.SKIPPED
    assert "bandit is not installed" in outcome.summary and "semgrep is not installed" in outcome.summary
