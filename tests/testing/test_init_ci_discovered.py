"""``golive init ci`` writes the discovered service's pipeline (src/golive/testing/_ci_facts.py).

On each fixture service (shaped unlike storefront) the workflow runs the fixture's own
commands, nothing of storefront's appears, and what was not found is a placeholder that
fails loudly. ``ci.pipeline`` then judges the written pipeline for reasons a human agrees with.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from golive.results import Status
from golive.testing._init_ci import options_from_facts, render, write
from tests.fixtures.service_facts import known_facts
from tests.fixtures.services import NAMES, make_repo
from tests.testing.conftest import RunOne

#: Storefront's values: none may appear unless the fixture itself has it.
STOREFRONT = (
    "storefront",
    "/readyz",
    "./deploy.sh",
    "ops/deploy.sh",
    ".[dev]",
    "TEST_DATABASE_URL",
    "e2e -m critical",
)


def _workflows(name: str, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = make_repo(name, tmp_path)
    return root, render(options_from_facts(known_facts(name, root)))


def _runs(text: str) -> list[str]:
    """Every ``run:`` of a workflow, in order."""
    doc = YAML(typ="safe", pure=True).load(text)
    return [
        str(step["run"]).strip()
        for job in doc["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


EXPECTED = {
    # fixture: (install, lint, unit tests, build, deploy, smoke-tested path, branch)
    "fastapi_uv": (
        "uv sync --locked --all-groups",
        "uv run bash scripts/lint.sh",
        "uv run bash scripts/tests-start.sh",
        "docker compose -f compose.yaml build",
        "docker compose -f compose.yaml up -d",
        "/api/v1/utils/health-check/",
        "master",
    ),
    "django_piptools": (
        "python -m pip install -r requirements.txt -r requirements-dev.txt",
        "make lint",
        "make test",
        "docker build --file Dockerfile",
        './bin/deploy.sh "$DEPLOY_ENV"',
        "/healthz/",
        "stable",
    ),
    "flask_poetry": (
        "poetry install --no-interaction",
        "pre-commit run --all-files",
        "poetry run pytest --junitxml=reports/unit.xml",
        "poetry build --output dist",
        None,
        "/health",
        "develop",
    ),
    "node_express": (
        "npm ci",
        "npm run lint",
        "npm test",
        "docker build -t inventory-api .",
        "kubectl apply -f k8s/",
        "/healthz",
        "trunk",
    ),
}


@pytest.mark.parametrize("name", NAMES)
def test_the_workflow_runs_the_fixtures_own_commands(name: str, tmp_path: Path) -> None:
    _, files = _workflows(name, tmp_path)
    install, lint, unit, build, deploy, health, branch = EXPECTED[name]
    ci, cd = _runs(files["ci.yml"]), _runs(files["cd.yml"])
    assert any(install in r for r in ci), ci
    assert lint in ci
    assert any(r.startswith(unit) for r in ci), ci
    assert any(r.startswith(build) for r in ci), ci
    if deploy is None:
        assert "echo 'golive TODO: the command that deploys $DEPLOY_VERSION to $DEPLOY_ENV' >&2\nexit 1" in cd
    else:
        assert deploy in cd
    (smoke,) = [r for r in cd if "$PRODUCTION_URL" in r]
    assert f'"$PRODUCTION_URL{health}"' in smoke
    assert f'branches: ["{branch}"]' in files["ci.yml"]
    assert f"github.ref == 'refs/heads/{branch}'" in files["ci.yml"]


@pytest.mark.parametrize("name", NAMES)
def test_nothing_of_storefront_appears(name: str, tmp_path: Path) -> None:
    root, files = _workflows(name, tmp_path)
    text = "\n".join(files.values())
    for value in STOREFRONT:
        assert value not in text, f"{value!r} in the pipeline of {name}"
    assert "branches: [main]" not in text and "refs/heads/main" not in text
    python = re.findall(r'python-version: "([^"]+)"', text)
    discovered = known_facts(name, root).python_version
    # Only the discovered version for the service; golive's own gate job runs on golive's.
    assert set(python) <= {discovered.value if discovered else "3.x", "3.12"}, python
    if name != "django_piptools":  # Django's Dockerfile says 3.11: the one place it may appear
        assert "3.11" not in text


def test_the_language_setup_follows_the_package_manager(tmp_path: Path) -> None:
    _, node = _workflows("node_express", tmp_path / "n")
    assert "actions/setup-node@" in node["ci.yml"] and 'node-version: "20"' in node["ci.yml"]
    assert "npm audit --audit-level=high" in node["ci.yml"]
    assert "bandit -r" not in node["ci.yml"]
    _, uv = _workflows("fastapi_uv", tmp_path / "u")
    assert 'python-version: "3.12"' in uv["ci.yml"]
    assert "working-directory: backend" in uv["ci.yml"]
    # The build and deploy commands name files at the repository root: they run there.
    assert re.search(
        r"working-directory: \.\n\s+run: \|\n\s+docker compose -f compose.yaml build", uv["ci.yml"]
    )


def test_a_postgresql_service_only_where_the_service_has_one(tmp_path: Path) -> None:
    _, uv = _workflows("fastapi_uv", tmp_path / "u")
    assert "image: postgres:16" in uv["ci.yml"]
    assert "POSTGRES_SERVER: 127.0.0.1" in uv["ci.yml"]  # the variable the app reads its host from
    for name in ("flask_poetry", "node_express"):
        _, files = _workflows(name, tmp_path / name)
        assert "postgres" not in files["ci.yml"].lower()


def test_missing_facts_are_loud_placeholders(tmp_path: Path) -> None:
    root = make_repo("flask_poetry", tmp_path)
    bare = replace(
        known_facts("flask_poetry", root),
        lint_command=None,
        health_path=None,
        default_branch=None,
        python_version=None,
        tests=replace(known_facts("flask_poetry", root).tests, command=None),
    )
    files = render(options_from_facts(bare))
    ci, cd = _runs(files["ci.yml"]), _runs(files["cd.yml"])
    todos = [r for r in ci + cd if r.startswith("echo 'golive TODO:")]
    assert all(r.endswith(">&2\nexit 1") for r in todos)
    what = " | ".join(todos)
    for missing in (
        "lints",
        "unit tests",
        "integration tests",
        "end-to-end",
        "deploys",
        "rolls",
        "smoke test",
    ):
        assert missing in what, (missing, what)
    # No branch found: deploys follow the repository's default branch as GitHub knows it.
    assert "github.ref_name == github.event.repository.default_branch" in files["ci.yml"]
    assert "branches:" not in files["ci.yml"].split("jobs:")[0]
    assert "golive TODO: no Python version found" in files["ci.yml"]


def test_ci_pipeline_judges_the_generated_pipeline_for_real_reasons(run_one: RunOne, tmp_path: Path) -> None:
    root = make_repo("node_express", tmp_path)
    for old in (root / ".github" / "workflows").glob("*"):
        old.unlink()  # the fixture's own workflow is not golive's
    write(root, options_from_facts(known_facts("node_express", root)))
    r = run_one({"type": "ci.pipeline", "path": str(root)})
    assert r.status is Status.FAIL
    text = r.evidence.excerpt
    # What the fixture really lacks: integration and E2E suites, a rollback, a coverage threshold.
    for stage in ("integration tests", "E2E tests", "rollback"):
        assert f"[PLACEHOLDER] {stage}" in text, text
    # Each placeholder is the gap of the one stage it stands for, never of a broader one.
    assert "unit tests is a placeholder" not in r.summary
    assert r.summary.count("Roll back to the previous release") == 1, r.summary
    # Every problem is one of those: a golive TODO step (or what waits for it) or the coverage gate.
    problems = r.summary.split("; ")
    assert all("golive TODO:" in p or p.startswith("coverage gate not enforced") for p in problems), problems
    assert "coverage gate not enforced: no coverage measurement with a fail-under threshold" in problems
    # What golive wrote is sound: stages it filled in are found, the gates it wrote hold.
    for stage in ("lint / type-check", "unit tests", "security scanning", "build artifact"):
        assert f"[found] {stage}" in text
    assert "[enforced] gate golive" in text and "[enforced] gate order" in text
    assert "zizmor: 0 findings" in text


@pytest.mark.parametrize("name", NAMES)
def test_cli_uses_discovery(name: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from golive.cli import app

    root = make_repo(name, tmp_path)
    result = CliRunner().invoke(app, ["init", "ci", str(root), "--force"])
    assert result.exit_code == 0, result.output
    ci = (root / ".github" / "workflows" / "ci.yml").read_text()
    cd = (root / ".github" / "workflows" / "cd.yml").read_text()
    install, lint, unit, _, _, health, branch = EXPECTED[name]
    runs = _runs(ci)
    assert any(install in r for r in runs) and lint in runs, runs
    assert any(r.startswith(unit) for r in runs), runs
    assert f'"$PRODUCTION_URL{health}"' in cd
    assert f"github.ref == 'refs/heads/{branch}'" in ci
    assert "golive TODO step(s) to fill in" in result.output


def test_storefront_gets_a_pipeline_equivalent_to_its_committed_one(run_one: RunOne, tmp_path: Path) -> None:
    from golive.discover import discover

    storefront = Path(__file__).resolve().parents[2] / "examples" / "storefront"
    root = tmp_path / "storefront"
    shutil.copytree(storefront, root, ignore=shutil.ignore_patterns(".golive", "__pycache__", "*.db"))
    facts = discover(root)
    shutil.rmtree(root / ".github")  # what golive writes now, not what it wrote then
    # The rollback is read from the rollback job of the committed cd.yml.
    options = options_from_facts(facts)
    assert options.rollback is not None and options.rollback.run == './ops/deploy.sh "$DEPLOY_ENV" --rollback'
    write(root, options)
    ci = (root / ".github" / "workflows" / "ci.yml").read_text()
    assert "python -m pytest tests -m postgres --junitxml=reports/integration.xml" in ci
    assert "--cov=storefront --cov-branch" in ci and "--cov-fail-under=80" in ci
    r = run_one({"type": "ci.pipeline", "path": str(root)})
    assert r.status is Status.PASS, r.summary
    assert r.summary == "all 10 stages found, 4 gates enforced, workflows lint clean"


def _job_runs(text: str, job: str) -> list[str]:
    doc = YAML(typ="safe", pure=True).load(text)
    return [str(s["run"]).strip() for s in doc["jobs"][job].get("steps", []) if "run" in s]


def test_a_deploy_command_that_names_no_environment_never_runs_in_the_staging_job(tmp_path: Path) -> None:
    from golive.discover import Fact, Source

    root = make_repo("django_piptools", tmp_path)
    deploy = Fact(value="make deploy", source=Source(path="Makefile", line=13))
    files = render(options_from_facts(replace(known_facts("django_piptools", root), deploy_command=deploy)))
    staging = _job_runs(files["cd.yml"], "deploy-staging")
    production = _job_runs(files["cd.yml"], "deploy-production")
    assert "make deploy" in production
    assert "make deploy" not in staging
    (todo,) = [r for r in staging if "golive TODO" in r]
    assert todo.startswith("echo 'golive TODO: a command that deploys") and todo.endswith("exit 1")
