"""ci.pipeline: a gate whose failure is suppressed is not an enforced gate.

The fixture (tests/fixtures/testing/workflows/scripted) is a ledger service whose gates run
through ``make`` and repository scripts, unlike storefront's workflows. Each case copies it and
injects one realistic suppression; the check must fail naming the ``file:line`` of the gate and
the suppression. The untouched copy passes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from golive.results import Status
from tests.testing.conftest import FIXTURES, RunOne

SCRIPTED = FIXTURES / "workflows" / "scripted"
WF = ".github/workflows/build.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "ledger"
    shutil.copytree(SCRIPTED, root)
    return root


def _edit(root: Path, name: str, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in a file of the copy; the 1-based line where ``new`` starts."""
    path = root / name
    text = path.read_text()
    assert text.count(old) == 1, (name, old)
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def _check(run_one: RunOne, root: Path, lint: bool = False) -> tuple[Status, str]:
    r = run_one({"type": "ci.pipeline", "path": str(root), "zizmor": lint, "actionlint": "off"})
    return r.status, r.summary + "\n" + r.evidence.excerpt


def test_every_gate_enforced_through_make_and_scripts_passes(run_one: RunOne, repo: Path) -> None:
    status, text = _check(run_one, repo, lint=True)
    assert status is Status.PASS, text
    assert "provided by build.yml:unit (step 'Unit tests')" in text
    assert "[enforced] gate coverage: build.yml:unit (step 'Unit tests') at Makefile:7" in text


def test_or_echo_on_a_make_target_suppresses_the_tests_inside(run_one: RunOne, repo: Path) -> None:
    line = _edit(repo, WF, "        run: make test\n", '        run: make test || echo "unit tests failed"\n')
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert (
        "unit tests not enforced: Makefile:7 `pytest tests/unit --cov=ledger --cov-fail-under=85`: "
        f'called at {WF}:{line}: `|| echo "unit tests failed"` swallows its failure' in text
    )
    assert "coverage gate not enforced" in text


def test_or_true_inside_a_called_script(run_one: RunOne, repo: Path) -> None:
    line = _edit(repo, "scripts/scan.sh", "pip-audit --strict\n", "pip-audit --strict || true\n")
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    # bandit is still enforced, so the stage is found: the suppressed scanner is still a gap.
    assert (
        f"security scanning not enforced: scripts/scan.sh:{line} `pip-audit --strict`: "
        "`|| true` swallows its failure" in text
    )


def test_set_plus_e_in_a_script(run_one: RunOne, repo: Path) -> None:
    line = _edit(repo, "scripts/scan.sh", "set -euo pipefail\n", "set +e\n")
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert (
        f"security scanning not enforced: scripts/scan.sh:{line + 1} "
        "`bandit -r ledger --severity-level medium`: "
        f"`set +e` at scripts/scan.sh:{line}: a later command decides the exit status" in text
    )
    # The last command's status is the script's: pip-audit still fails the job.
    assert "`pip-audit --strict`:" not in text


def test_set_plus_e_before_the_golive_review(run_one: RunOne, repo: Path) -> None:
    line = _edit(
        repo,
        WF,
        "        run: golive review --env staging\n",
        "        run: |\n          set +e\n          golive review --env staging\n          echo reviewed\n",
    )
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert (
        f"golive gate not enforced: build.yml:staging (step 'Readiness review') at {WF}:{line + 2} - "
        f"`set +e` at {WF}:{line + 1}: a later command decides the exit status" in text
    )


def test_exit_0_after_the_gate_in_a_shell_without_errexit(run_one: RunOne, repo: Path) -> None:
    line = _edit(
        repo,
        WF,
        "        shell: bash\n        run: npx playwright test --reporter=line | tee e2e.log\n",
        "        shell: bash {0}\n        run: npx playwright test --reporter=line; exit 0\n",
    )
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert (
        f"E2E tests not enforced: {WF}:{line + 1} `npx playwright test --reporter=line`: "
        "`; exit 0` ends the script successfully (shell `bash {0}` runs without -e)" in text
    )


def test_a_pipe_without_pipefail(run_one: RunOne, repo: Path) -> None:
    # GitHub's default shell is `bash -e {0}`: no pipefail, so tee's status is the step's.
    line = _edit(repo, WF, "        shell: bash\n", "")
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert (
        f"E2E tests not enforced: {WF}:{line} `npx playwright test --reporter=line`: "
        "piped into `tee` without pipefail" in text
    )


def test_continue_on_error_on_the_job(run_one: RunOne, repo: Path) -> None:
    line = _edit(
        repo,
        WF,
        "  scan:\n    runs-on: ubuntu-latest\n",
        "  scan:\n    continue-on-error: true\n    runs-on: ubuntu-latest\n",
    )
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert (
        "security scanning not enforced: scripts/scan.sh:3 `bandit -r ledger --severity-level medium`: "
        f"job has continue-on-error ({WF}:{line + 1})" in text
    )


def test_continue_on_error_on_the_step(run_one: RunOne, repo: Path) -> None:
    line = _edit(
        repo, WF, "      - name: Unit tests\n", "      - name: Unit tests\n        continue-on-error: true\n"
    )
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert f"step has continue-on-error ({WF}:{line + 1})" in text


def test_make_ignores_a_recipe_line_starting_with_a_dash(run_one: RunOne, repo: Path) -> None:
    line = _edit(repo, "Makefile", "\tpytest tests/integration", "\t-pytest tests/integration")
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert (
        f"integration tests not enforced: Makefile:{line} `pytest tests/integration -m postgres`: "
        "make ignores the failure of a recipe line starting with `-`" in text
    )


def test_a_gate_on_the_left_of_and_in_the_middle_of_a_step(run_one: RunOne, repo: Path) -> None:
    line = _edit(
        repo, WF, "          make integration\n", '          make integration && echo "integration ok"\n'
    )
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert (
        f"called at {WF}:{line}: on the left of `&&`: under `set -e` its failure does not stop the script"
        in text
    )


def test_a_script_without_set_e(run_one: RunOne, repo: Path) -> None:
    _edit(repo, "scripts/scan.sh", "set -euo pipefail\n", "")
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert "scripts/scan.sh has no `set -e`: a later command decides the exit status" in text


def test_printing_the_tool_name_is_not_running_it(run_one: RunOne, repo: Path) -> None:
    # `|| echo "bandit failed"` must not count as an enforced bandit run.
    _edit(
        repo,
        WF,
        "        run: ./scripts/scan.sh\n",
        '        run: bandit -r ledger || echo "bandit failed"\n',
    )
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert "[NOT ENFORCED] security scanning" in text
    assert "security gate not enforced" in text


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "cd.yml",
            "        run: golive review . --env staging",
            '        run: golive review . --env staging || echo "::warning::review failed"',
            "golive gate not enforced",
        ),
        (
            "ci.yml",
            "        run: bandit -r src --severity-level high",
            "        run: |\n          set +e\n          bandit -r src --severity-level high",
            "`set +e` at .github/workflows/ci.yml:",
        ),
        (
            "ci.yml",
            "          --cov-fail-under=80\n",
            "          --cov-fail-under=80 | tee reports/unit.txt\n",
            "piped into `tee` without pipefail",
        ),
    ],
)
def test_inline_suppressions_in_a_generated_pipeline(
    run_one: RunOne, tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    """Each of these passed before: only `|| true`, `|| :` and `|| exit 0` were recognised."""
    # storefront's workflows were written by `golive init ci` in this layout.
    root = tmp_path / "repo"
    storefront = Path(__file__).resolve().parents[2] / "examples" / "storefront" / ".github"
    shutil.copytree(storefront, root / ".github")
    _edit(root, f".github/workflows/{file}", old, new)
    if "set +e" in new:  # a later command decides the step's status
        _edit(root, f".github/workflows/{file}", "-o bandit.sarif\n", "-o bandit.sarif\n          echo ok\n")
    status, text = _check(run_one, root)
    assert status is Status.FAIL, text
    assert expected in text


def test_a_gate_that_never_runs(run_one: RunOne, repo: Path) -> None:
    line = _edit(
        repo,
        WF,
        "      - name: Readiness review\n",
        "      - name: Readiness review\n        if: ${{ false }}\n",
    )
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert f"at {WF}:{line + 2} - never runs (`if:` is always false)" in text


def test_or_exit_0_inside_an_npm_script(run_one: RunOne, repo: Path) -> None:
    (repo / "package.json").write_text(
        '{\n  "name": "ledger-ui",\n  "scripts": {\n'
        '    "e2e": "playwright test --reporter=line || exit 0"\n  }\n}\n'
    )
    _edit(
        repo,
        WF,
        "        run: npx playwright test --reporter=line | tee e2e.log\n",
        "        run: npm run e2e\n",
    )
    status, text = _check(run_one, repo)
    assert status is Status.FAIL
    assert (
        "E2E tests not enforced: package.json:4 `playwright test --reporter=line`: "
        "`|| exit 0` swallows its failure" in text
    )
