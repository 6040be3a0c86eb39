"""ci.pipeline on generated and fixture workflows (src/golive/testing/pipeline.py, _stages.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from golive.results import Status
from golive.testing._gates import judge_gates
from golive.testing._github import GitHubActionsReader
from golive.testing._linters import parse_actionlint
from golive.testing._stages import Gate, Stage, find_stages
from tests.testing.complete_service import write_complete_pipeline
from tests.testing.conftest import FIXTURES, RunOne

WORKFLOWS = FIXTURES / "workflows"


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write_complete_pipeline(root)
    return root


def test_generated_pipeline_passes_with_every_stage_and_gate(run_one: RunOne, generated: Path) -> None:
    r = run_one({"type": "ci.pipeline", "path": str(generated)})
    assert r.status is Status.PASS, r.summary + "\n" + r.evidence.excerpt
    assert r.summary == "all 10 stages found, 4 gates enforced, workflows lint clean"
    text = r.evidence.excerpt
    assert "[found] deploy to production (environment with approval)" in text
    assert "provided by ci.yml:deploy/deploy-production: environment 'production'" in text
    assert "[enforced] gate golive: ci.yml:deploy/golive-staging" in text
    assert "zizmor: 0 findings" in text
    assert {m.name: m.value for m in r.measurements}["zizmor_findings"] == 0


def test_missing_stages(run_one: RunOne) -> None:
    r = run_one({"type": "ci.pipeline", "path": str(WORKFLOWS / "missing-stage")})
    assert r.status is Status.FAIL
    assert r.summary == "missing stage: E2E tests; missing stage: rollback"
    assert "[MISSING] E2E tests" in r.evidence.excerpt
    # Optional stages are reported, not required.
    r = run_one(
        {
            "type": "ci.pipeline",
            "path": str(WORKFLOWS / "missing-stage"),
            "stages": ["lint", "unit", "integration", "security", "build"],
        }
    )
    assert r.status is Status.PASS, r.summary


def test_unenforced_gates(run_one: RunOne) -> None:
    r = run_one({"type": "ci.pipeline", "path": str(WORKFLOWS / "unenforced-gate")})
    assert r.status is Status.FAIL
    wf = ".github/workflows/pipeline.yml"
    assert (
        f"unit tests not enforced: {wf}:29 `pytest tests/unit --cov=src --cov-fail-under=80`: "
        f"step has continue-on-error ({wf}:28)" in r.summary
    )
    assert (
        f"coverage gate not enforced: pipeline.yml:test (step 'Unit tests') at {wf}:29: --cov-fail-under=80"
        f" - step has continue-on-error ({wf}:28)" in r.summary
    )
    assert (
        f"security scanning not enforced: {wf}:42 `bandit -r src --exit-zero`: "
        "exit status ignored (--exit-zero)" in r.summary
    )
    assert (
        "golive gate not enforced: pipeline.yml:staging (step 'golive review --env staging || true') "
        f"at {wf}:61" in r.summary
    )
    assert "`|| true` swallows its failure" in r.summary


def test_zizmor_findings_fail_the_check(run_one: RunOne) -> None:
    r = run_one({"type": "ci.pipeline", "path": str(WORKFLOWS / "zizmor-finding")})
    assert r.status is Status.FAIL
    assert r.summary == "zizmor: 3 findings (artipacked, template-injection, unpinned-uses)"
    assert ".github/workflows/pipeline.yml:16: [zizmor unpinned-uses, high]" in r.evidence.excerpt
    assert "[zizmor template-injection, high]" in r.evidence.excerpt
    r = run_one(
        {
            "type": "ci.pipeline",
            "path": str(WORKFLOWS / "zizmor-finding"),
            "zizmor_min_severity": "high",
        }
    )
    assert r.summary == "zizmor: 2 findings (template-injection, unpinned-uses)"


def test_coverage_threshold_below_minimum_and_from_config(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(WORKFLOWS / "missing-stage", root)
    pipeline = GitHubActionsReader().read(root)
    stages = find_stages(pipeline)
    gates = judge_gates(pipeline, stages, root=root, min_coverage=90)
    assert not gates[Gate.COVERAGE].enforced
    assert gates[Gate.COVERAGE].detail.endswith("--cov-fail-under=85 - below 90")
    # fail_under in pyproject counts when the workflow measures coverage without a flag.
    wf = root / ".github" / "workflows" / "pipeline.yml"
    wf.write_text(wf.read_text().replace(" --cov-fail-under=85", ""))
    (root / "pyproject.toml").write_text("[tool.coverage.report]\nfail_under = 92\n")
    pipeline = GitHubActionsReader().read(root)
    gates = judge_gates(pipeline, find_stages(pipeline), root=root, min_coverage=90)
    assert gates[Gate.COVERAGE].enforced
    assert gates[Gate.COVERAGE].detail == "fail_under = 92 in coverage configuration"


def test_production_must_wait_for_tests(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(WORKFLOWS / "unenforced-gate", root)
    wf = root / ".github" / "workflows" / "pipeline.yml"
    wf.write_text(wf.read_text().replace("    needs: staging\n", ""))
    pipeline = GitHubActionsReader().read(root)
    stages = find_stages(pipeline)
    order = judge_gates(pipeline, stages, root=root, min_coverage=80)[Gate.ORDER]
    assert not order.enforced
    assert "pipeline.yml:production does not wait for E2E tests" in order.detail
    assert "does not wait for deploy to staging" in order.detail
    assert stages[Stage.DEPLOY_PRODUCTION].found


def test_reusable_workflow_inputs_are_expanded(tmp_path: Path) -> None:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text(
        "on: push\njobs:\n  test:\n    runs-on: x\n    steps: [{run: pytest}]\n"
        "  prod:\n    needs: test\n    uses: ./.github/workflows/deploy.yml\n"
        "    with: {target: production}\n"
    )
    (wf / "deploy.yml").write_text(
        "on: {workflow_call: {inputs: {target: {type: string}}}}\njobs:\n"
        "  go:\n    runs-on: x\n    environment: ${{ inputs.target }}\n"
        "    steps: [{run: ./deploy.sh}]\n"
    )
    pipeline = GitHubActionsReader().read(tmp_path)
    job = pipeline.job("ci.yml:prod/go")
    assert job is not None
    assert job.environment == "production"
    assert pipeline.upstream(job) == {"ci.yml:test"}
    assert [p.job.label for p in find_stages(pipeline)[Stage.DEPLOY_PRODUCTION].providers] == [
        "ci.yml:prod/go"
    ]


def test_no_workflows_is_a_failure(run_one: RunOne, tmp_path: Path) -> None:
    r = run_one({"type": "ci.pipeline", "path": str(tmp_path)})
    assert r.status is Status.FAIL
    assert r.summary.startswith("no CI/CD pipeline found under")


def test_parse_actionlint_output() -> None:
    out = (
        '[{"message":"property \\"foo\\" is not defined","filepath":".github/workflows/ci.yml",'
        '"line":12,"column":5,"kind":"expression"}]'
    )
    (finding,) = parse_actionlint(out)
    assert str(finding) == (
        '.github/workflows/ci.yml:12: [actionlint expression, error] property "foo" is not defined'
    )


def test_storefront_workflows_pass(run_one: RunOne) -> None:
    """examples/storefront/.github/workflows was written by `golive init ci`."""
    storefront = Path(__file__).resolve().parents[2] / "examples" / "storefront"
    r = run_one({"type": "ci.pipeline", "path": str(storefront)})
    assert r.status is Status.PASS, r.summary
