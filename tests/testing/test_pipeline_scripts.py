"""ci.pipeline follows the scripts and task runners a workflow calls, and sees placeholders as gaps.

Regressions of issue #16: tests behind `uv run bash scripts/tests-start.sh`, `docker compose
build` and `bun run build` as builds, `prek run` / `pre-commit run` as lint were reported as
missing stages; a `golive TODO` deploy step must never count as the deploy.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from golive.results import Status
from golive.testing._github import GitHubActionsReader
from golive.testing._stages import Stage, StageFinding, find_stages
from tests.testing.conftest import RunOne

WF = ".github/workflows"


def _repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def _workflow(job: str, *steps: str, extra: str = "") -> str:
    body = "".join(f"      - {textwrap.indent(s.strip(), '        ')[8:]}\n" for s in steps)
    return (
        f"on: push\npermissions: {{}}\njobs:\n  {job}:\n    runs-on: ubuntu-latest\n{extra}    steps:\n{body}"
    )


def _stages(root: Path) -> dict[Stage, StageFinding]:
    return find_stages(GitHubActionsReader().read(root))


def _where(finding: StageFinding) -> list[str]:
    return [p.command.trail for p in finding.providers if p.command is not None]


FASTAPI = {
    f"{WF}/test-backend.yml": _workflow(
        "test-backend",
        "uses: actions/checkout@v4",
        'name: Run tests\nrun: uv run bash scripts/tests-start.sh "Coverage for ${{ github.sha }}"\n'
        "working-directory: backend",
    ),
    "backend/scripts/tests-start.sh": """
        #! /usr/bin/env bash
        set -e
        set -x

        python app/tests_pre_start.py

        bash scripts/test.sh "$@"
        """,
    "backend/scripts/test.sh": """
        #!/usr/bin/env bash

        set -e
        set -x

        coverage run -m pytest tests/
        coverage report
        """,
    f"{WF}/lint-backend.yml": _workflow(
        "lint-backend", "run: uv run --frozen bash scripts/lint.sh\nworking-directory: backend"
    ),
    "backend/scripts/lint.sh": """
        #!/usr/bin/env bash
        set -e
        mypy app
        ruff check app
        """,
    f"{WF}/deploy-staging.yml": _workflow(
        "deploy",
        "run: docker compose -f docker-compose.yml --project-name ${{ secrets.STACK_NAME }} build",
        extra="    environment: staging\n",
    ),
    f"{WF}/frontend.yml": _workflow(
        "frontend",
        "run: bun run build\nworking-directory: frontend",
        "run: bun run lint\nworking-directory: frontend",
    ),
    "frontend/package.json": (
        '{"scripts": {"build": "tsc -p tsconfig.build.json && vite build",\n'
        ' "lint": "biome check --write --unsafe ./"}}\n'
    ),
}


def test_tests_behind_nested_scripts_are_found_with_the_path_to_them(tmp_path: Path) -> None:
    stages = _stages(_repo(tmp_path, FASTAPI))
    unit = stages[Stage.UNIT]
    assert unit.found, unit
    assert _where(unit) == [
        f"{WF}/test-backend.yml:9 → backend/scripts/tests-start.sh:7 → backend/scripts/test.sh:6"
    ]
    assert str(unit.providers[0]).endswith("`coverage run -m pytest tests/`")
    lint = stages[Stage.LINT]
    assert f"{WF}/lint-backend.yml:7 → backend/scripts/lint.sh:3" in _where(lint)  # mypy app


def test_compose_and_bun_builds_and_package_scripts_are_builds(tmp_path: Path) -> None:
    stages = _stages(_repo(tmp_path, FASTAPI))
    texts = {p.command.text for p in stages[Stage.BUILD].providers if p.command is not None}
    assert "docker compose -f docker-compose.yml --project-name ${{ secrets.STACK_NAME }} build" in texts
    assert "bun run build" in texts
    assert "vite build" not in texts  # not a build tool golive knows; the script call is what counts
    biome = [p for p in stages[Stage.LINT].providers if p.command and "biome" in p.command.text]
    assert biome and biome[0].command is not None
    assert biome[0].command.trail == f"{WF}/frontend.yml:9 → frontend/package.json:2"


def test_pre_commit_and_prek_hooks_are_lint(tmp_path: Path) -> None:
    config = """
        repos:
          - repo: https://github.com/astral-sh/ruff-pre-commit
            rev: v0.8.4
            hooks:
              - id: ruff
                args: [--fix]
              - id: ruff-format
          - repo: local
            hooks:
              - id: bandit
                name: bandit
                entry: bandit -r app
                language: system
        """
    for command in ("uvx prek run --all-files", "pre-commit run --all-files --show-diff-on-failure"):
        root = _repo(
            tmp_path / command.split()[0],
            {
                ".pre-commit-config.yaml": config,
                f"{WF}/lint.yml": _workflow("lint", f"run: {command}"),
            },
        )
        stages = _stages(root)
        trails = {p.command.text: p.command.trail for p in stages[Stage.LINT].providers if p.command}
        assert trails["ruff"] == f"{WF}/lint.yml:7 → .pre-commit-config.yaml:5", trails
        assert "ruff-format" in trails
        security = [p.command.trail for p in stages[Stage.SECURITY].providers if p.command]
        assert security == [f"{WF}/lint.yml:7 → .pre-commit-config.yaml:10"]


def test_make_just_and_poe_tasks_are_followed(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            f"{WF}/ci.yml": _workflow("ci", "run: make test", "run: just e2e", "run: uv run poe lint"),
            "Makefile": "test:\n\tuv run pytest -q tests/unit\n",
            "justfile": "# end-to-end\ne2e:\n    npx playwright test\n",
            "pyproject.toml": '[tool.poe.tasks]\nlint = "ruff check ."\ntypes.cmd = "mypy src"\n',
        },
    )
    stages = _stages(root)
    assert _where(stages[Stage.UNIT]) == [f"{WF}/ci.yml:7 → Makefile:2"]
    assert f"{WF}/ci.yml:8 → justfile:3" in _where(stages[Stage.E2E])
    assert _where(stages[Stage.LINT]) == [f"{WF}/ci.yml:9 → pyproject.toml:2"]


def test_scripts_calling_themselves_stop_at_the_depth_bound(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            f"{WF}/ci.yml": _workflow("ci", "run: bash ci.sh"),
            "ci.sh": "set -e\nbash ci.sh\npytest\n",
        },
    )
    assert _stages(root)[Stage.UNIT].found  # no endless recursion; pytest found at each level


PLACEHOLDER_DEPLOY = """
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest
  deploy-production:
    needs: [test]
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - name: Deploy to production
        run: |
          echo "golive TODO: the command that deploys this service to production" >&2
          exit 1
  smoke:
    needs: [deploy-production]
    runs-on: ubuntu-latest
    steps:
      - name: Smoke test
        run: curl -fsS https://example.com/health
  rollback:
    needs: [smoke]
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - name: Roll back
        run: |
          if [ -z "$PREVIOUS" ]; then
            exit 1
          fi
          ./rollback.sh "$PREVIOUS"
"""


def test_a_placeholder_deploy_is_a_gap_not_a_stage(tmp_path: Path) -> None:
    root = _repo(tmp_path, {f"{WF}/cd.yml": PLACEHOLDER_DEPLOY})
    stages = _stages(root)
    prod = stages[Stage.DEPLOY_PRODUCTION]
    assert not prod.found and not prod.unenforced
    assert [p.note for p in prod.placeholders] == [
        "golive TODO: the command that deploys this service to production"
    ]
    verify = stages[Stage.VERIFY]
    assert not verify.found  # the smoke test waits for a job that can only fail
    assert "failed by a placeholder" in verify.unenforced[0].note
    assert stages[Stage.UNIT].found
    # An `exit 1` inside an `if` is a guard, not a placeholder.
    assert not any(p.step and p.step.name == "Roll back" for s in stages.values() for p in s.placeholders)


def test_placeholders_are_reported_as_gaps(run_one: RunOne, tmp_path: Path) -> None:
    root = _repo(tmp_path, {f"{WF}/cd.yml": PLACEHOLDER_DEPLOY})
    r = run_one(
        {
            "type": "ci.pipeline",
            "path": str(root),
            "zizmor": False,
            "actionlint": "off",
            "stages": ["unit", "deploy-production"],
            "gates": [],
        }
    )
    assert r.status is Status.FAIL
    assert r.summary == (
        "deploy to production (environment with approval) is a placeholder: "
        f"{WF}/cd.yml:14 (step 'Deploy to production'): golive TODO: the command that deploys this "
        "service to production"
    )
    assert "[PLACEHOLDER] deploy to production" in r.evidence.excerpt
