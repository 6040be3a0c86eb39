"""Every scanner says what it covered; a file it could not analyse is reported, and fails the check.

Before issue #14 a file bandit could not parse (Python 3.14 syntax, e.g. PEP 758's
``except A, B:``) vanished and SAST passed with "0 findings"; semgrep's own ignore rules
(``tests/``, big files) and its parse errors were as silent; zizmor skipped a workflow it could
not load and exited 0; golive's IaC rules skipped Helm templates and broken YAML; an unpinned
dependency or a lock format golive cannot read was at most a warning. Real scanners throughout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from golive.results import Outcome, Status
from golive.security import checks as sec
from golive.security.render import from_json
from tests.security.conftest import OSV_DIR, SARIF_SCHEMA, run_check

pytestmark = pytest.mark.slow

# PEP 758 (Python 3.14): several exceptions without parentheses. Python 3.11's parser, and so
# bandit, cannot read it; the file also holds a real problem bandit would have reported.
PEP_758 = """\
import subprocess


def refresh(command: str) -> None:
    try:
        subprocess.call(command, shell=True)
    except ValueError, TypeError:
        pass
"""
CLEAN = "def add(a: int, b: int) -> int:\n    return a + b\n"
# Broken, and holding what a rule looks for (semgrep does not parse a file no rule can match).
BROKEN = "def (:\n    return eval(expr\n"
UNSAFE_EVAL = "def run(expr: str) -> object:\n    return eval(expr)\n"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _run(cls: Any, root: Path, **params: Any) -> Outcome:
    return run_check(cls, params, root, artifacts=root.parent / f"art-{cls.name}-{len(params)}")


def _measure(outcome: Outcome, name: str) -> float:
    return next(m.value for m in outcome.measurements if m.name == name)


def _findings(outcome: Outcome) -> list[Any]:
    path = next(a for a in outcome.evidence.artifacts if a.endswith("findings.json"))
    return list(from_json(json.loads(Path(path).read_text())).findings)


def test_a_file_bandit_cannot_parse_fails_sast(tmp_path: Path) -> None:
    root = _tree(tmp_path / "svc", {"app/main.py": CLEAN, "app/tokens.py": PEP_758})
    outcome = _run(sec.SastCheck, root, tools=["bandit"])
    assert outcome.status is Status.FAIL, outcome.summary
    assert "app/tokens.py" in outcome.summary and "syntax error" in outcome.summary
    assert _measure(outcome, "bandit_files_asked") == 2
    assert _measure(outcome, "bandit_files_scanned") == 1
    assert _measure(outcome, "bandit_files_coverage") == 50
    # The SARIF for code scanning carries it too, as a tool execution notification.
    sarif = json.loads(Path(next(a for a in outcome.evidence.artifacts if a.endswith(".sarif"))).read_text())
    assert not list(jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).iter_errors(sarif))
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("app/tokens.py")


def test_a_lowered_threshold_passes_but_still_names_the_file(tmp_path: Path) -> None:
    root = _tree(tmp_path / "svc", {"app/main.py": CLEAN, "app/tokens.py": PEP_758})
    outcome = _run(sec.SastCheck, root, tools=["bandit"], min_coverage=50)
    assert outcome.status is Status.PASS
    assert "bandit: 1 of 2 files analysed" in outcome.summary
    assert "app/tokens.py (syntax error" in outcome.evidence.excerpt


def test_semgrep_scans_what_its_ignore_rules_skip_and_reports_parse_errors(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / "svc",
        {"app/main.py": CLEAN, "app/tests/helpers.py": UNSAFE_EVAL, "app/broken.py": BROKEN},
    )
    outcome = _run(sec.SastCheck, root, tools=["semgrep"])
    assert outcome.status is Status.FAIL
    # semgrep's default ignore list skips tests/; golive names every file, so it is analysed.
    assert [f.location.path for f in _findings(outcome)] == ["app/tests/helpers.py"]
    assert "semgrep analysed 2 of 3 files" in outcome.summary and "app/broken.py" in outcome.summary


def test_nothing_to_analyse_is_no_data(tmp_path: Path) -> None:
    root = _tree(tmp_path / "svc", {"README.md": "docs only\n"})
    outcome = _run(sec.SastCheck, root, tools=["bandit"])
    assert outcome.status is Status.NO_DATA
    assert "no source files" in outcome.summary and "point path" in outcome.summary


def test_iac_reports_templates_and_broken_yaml(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / "deploy",
        {
            "Dockerfile": "FROM debian:12.5\nUSER 10001\n",
            "chart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
            "  name: {{ .Release.Name }}\n",
            "k8s/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: api\nspec: [\n",
        },
    )
    outcome = _run(sec.IacCheck, root, tools=["golive"])
    assert outcome.status is Status.FAIL
    assert _measure(outcome, "golive_files_scanned") == 1
    assert "chart/templates/deployment.yaml (a template" in outcome.evidence.excerpt
    assert "k8s/service.yaml (not valid YAML" in outcome.evidence.excerpt


def test_a_workflow_zizmor_cannot_load_fails_the_check(tmp_path: Path) -> None:
    good = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
    good += "    steps:\n      - run: echo ok\n"
    root = _tree(
        tmp_path / "repo",
        {".github/workflows/ci.yml": good, ".github/workflows/release.yml": "on: [push\njobs: {\n"},
    )
    outcome = _run(sec.WorkflowsCheck, root)
    assert outcome.status is Status.FAIL
    assert "zizmor analysed 1 of 2 files" in outcome.summary
    assert ".github/workflows/release.yml" in outcome.summary


def test_dependencies_that_cannot_be_matched_are_not_covered(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / "svc",
        {
            "requirements.txt": "fastapi==0.110.0\nhttpx>=0.27\ngit+https://example.com/acme/lib.git#egg=acmelib\n",
            "web/Gemfile.lock": "GEM\n  specs:\n",
        },
    )
    outcome = _run(sec.DependenciesCheck, root, osv_db=str(OSV_DIR))
    assert outcome.status is Status.FAIL
    assert _measure(outcome, "osv_packages_asked") == 3
    assert _measure(outcome, "osv_packages_scanned") == 1
    text = outcome.evidence.excerpt
    assert "httpx (requirements.txt) (not pinned (>=0.27))" in text
    assert "acmelib (requirements.txt) (installed from a URL or VCS" in text
    assert "web/Gemfile.lock (a dependency format golive cannot read" in text


def test_no_dependency_file_is_no_data(tmp_path: Path) -> None:
    root = _tree(tmp_path / "svc", {"main.py": CLEAN})
    outcome = _run(sec.DependenciesCheck, root, osv_db=str(OSV_DIR))
    assert outcome.status is Status.NO_DATA and "no dependency file" in outcome.summary


def test_python_scripts_without_an_extension_are_analysed(tmp_path: Path) -> None:
    script = "#!/usr/bin/env python3\nimport subprocess\n\n\ndef run(cmd):\n"
    script += "    subprocess.call(cmd, shell=True)\n"
    root = _tree(tmp_path / "svc", {"app/main.py": CLEAN, "bin/manage": script})
    outcome = _run(sec.SastCheck, root, tools=["bandit"])
    assert _measure(outcome, "bandit_files_asked") == 2
    assert ("bin/manage", "B602") in {(f.location.path, f.rule_id) for f in _findings(outcome)}
    assert outcome.status is Status.FAIL  # B602: shell=True with a variable command is high


def test_composite_actions_are_audited(tmp_path: Path) -> None:
    action = "name: setup\ndescription: setup\nruns:\n  using: composite\n  steps:\n"
    action += '    - run: echo "${{ github.event.issue.title }}"\n      shell: bash\n'
    root = _tree(tmp_path / "repo", {".github/actions/setup/action.yml": action})
    outcome = _run(sec.WorkflowsCheck, root)
    assert outcome.status is Status.FAIL
    assert {(f.rule_id, f.location.path) for f in _findings(outcome)} == {
        ("template-injection", ".github/actions/setup/action.yml")
    }
