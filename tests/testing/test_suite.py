"""tests.suite against real pytest runs of the fixture suites (src/golive/testing/suite.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from golive.results import Status
from golive.testing._junit import Verdict, read_junit
from golive.testing.suite import is_pytest
from tests.testing.conftest import FIXTURES, RunOne

PYTEST = [sys.executable, "-m", "pytest"]
#: The venv has heavy pytest plugins (hypothesis, playwright); the fixture suites need none.
QUIET = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def _m(result, name: str) -> float:
    return next(m.value for m in result.measurements if m.name == name)


def test_passing_suite_with_critical_marker(run_one: RunOne, suite_copy: Callable[[str], Path]) -> None:
    suite = suite_copy("passing")
    r = run_one(
        {
            "type": "tests.suite",
            "command": PYTEST,
            "cwd": str(suite),
            "env": QUIET,
            "critical_marker": "critical",
            "min_tests": 7,
            "max_duration": "60s",
        }
    )
    assert r.status is Status.PASS, r.summary
    assert r.summary.startswith("6/6 passed (100%), critical 3/3, 1 skipped")
    assert (_m(r, "tests"), _m(r, "critical"), _m(r, "skipped")) == (7, 3, 1)
    assert "-m pytest --junitxml=" in r.reproducer and "-p golive_pytest_props" in r.reproducer
    assert any(a.endswith("junit-0.xml") for a in r.evidence.artifacts)


def test_failing_suite_reports_failures_and_skipped_critical(
    run_one: RunOne, suite_copy: Callable[[str], Path]
) -> None:
    suite = suite_copy("failing")
    r = run_one(
        {
            "type": "tests.suite",
            "command": PYTEST,
            "cwd": str(suite),
            "env": QUIET,
            "critical_marker": "critical",
            "min_pass_rate": 50,
        }
    )
    assert r.status is Status.FAIL
    assert "1 of 3 critical tests failed" in r.summary
    assert "1 critical tests skipped" in r.summary
    # 2 of 4 that ran passed: 50% meets min_pass_rate, so no pass-rate problem.
    assert "pass rate" not in r.summary.split(" - ")[0]
    assert "FAILED test_shop::test_checkout - AssertionError: expected 201 Created, got 500" in (
        r.evidence.excerpt
    )
    assert "FAILED test_shop::test_recommendations - RuntimeError" in r.evidence.excerpt
    assert "SKIPPED (critical) test_shop::test_payment - payment sandbox unavailable" in (r.evidence.excerpt)
    # The evidence tells how to re-run exactly the failures.
    assert f"re-run the failures: pytest {suite}/test_shop.py::test_checkout" in r.evidence.excerpt


def test_flaky_test_passes_on_retry_and_is_reported(
    run_one: RunOne, suite_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    suite = suite_copy("flaky")
    state = tmp_path / "state"
    state.mkdir()
    check = {
        "type": "tests.suite",
        "command": PYTEST,
        "cwd": str(suite),
        "env": {"FLAKY_STATE": str(state), **QUIET},
        "critical_marker": "critical",
        "retries": 2,
    }
    r = run_one(check)
    assert r.status is Status.PASS, r.summary
    assert "1 flaky" in r.summary
    assert _m(r, "flaky") == 1
    assert "FLAKY test_shop::test_checkout - failed first: AssertionError: connection reset" in (
        r.evidence.excerpt
    )
    # Only the failed test ran again.
    retry = next(Path(a) for a in r.evidence.artifacts if a.endswith("junit-1.xml"))
    assert [c.name for c in read_junit([retry])] == ["test_checkout"]

    (state / "checkout-ran-once").unlink()
    r = run_one({**check, "fail_on_flaky": True})
    assert r.status is Status.FAIL
    assert "1 flaky tests (passed only on retry)" in r.summary

    (state / "checkout-ran-once").unlink()
    r = run_one({**check, "retries": 0})
    assert r.status is Status.FAIL
    assert "1 of 2 critical tests failed" in r.summary


def test_other_runner_with_junit_path_and_name_pattern(run_one: RunOne, tmp_path: Path) -> None:
    src = FIXTURES / "suites" / "other" / "junit.xml"
    check = {
        "type": "tests.suite",
        "command": f"mkdir -p out && cp {src} out/results.xml",
        "shell": True,
        "cwd": str(tmp_path),
        "junit": "out/*.xml",
        "critical_pattern": "@critical",
        "min_pass_rate": 60,
    }
    r = run_one(check)
    assert r.status is Status.FAIL
    assert r.summary.startswith("1 of 2 critical tests failed - 2/3 passed (66.67%)")
    assert "FAILED checkout.spec.ts::login shows errors @critical - expect(locator)" in (r.evidence.excerpt)
    # The 'tags' property works as a marker too.
    r = run_one({**check, "critical_pattern": None, "critical_marker": "critical"})
    assert "1 of 2 critical tests failed" in r.summary


def test_stale_or_missing_junit_is_an_error(run_one: RunOne, tmp_path: Path) -> None:
    (tmp_path / "old.xml").write_text((FIXTURES / "suites" / "other" / "junit.xml").read_text())
    import os

    os.utime(tmp_path / "old.xml", (1_000_000, 1_000_000))
    r = run_one({"type": "tests.suite", "command": ["true"], "cwd": str(tmp_path), "junit": "old.xml"})
    assert r.status is Status.ERROR
    assert r.summary == "the test command (exit 0) wrote no JUnit XML at old.xml"


def test_min_tests_and_duration_budget(run_one: RunOne, suite_copy: Callable[[str], Path]) -> None:
    suite = suite_copy("passing")
    r = run_one(
        {
            "type": "tests.suite",
            "command": [*PYTEST, "-k", "login or sorting"],
            "cwd": str(suite),
            "env": QUIET,
            "min_tests": 5,
            "max_duration": "1ms",
        }
    )
    assert r.status is Status.FAIL
    assert r.summary.startswith("2 tests, at least 5 required; took ")
    assert "> budget 1ms" in r.summary


def test_timeout_kills_the_run(run_one: RunOne, tmp_path: Path) -> None:
    (tmp_path / "test_slow.py").write_text("import time\n\ndef test_slow():\n    time.sleep(60)\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    r = run_one(
        {
            "type": "tests.suite",
            "command": [*PYTEST, "-p", "no:cacheprovider"],
            "cwd": str(tmp_path),
        },
        timeout="4s",
    )
    assert r.status is Status.ERROR
    assert "did not finish" in r.summary or "timed out" in r.summary


def test_params_validation(run_one: RunOne) -> None:
    with pytest.raises(Exception, match="junit is required"):
        run_one({"type": "tests.suite", "command": ["npx", "playwright", "test"]})


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["pytest", "-q"], True),
        (["/venv/bin/python", "-m", "pytest"], True),
        ("cd e2e && pytest -m critical", True),
        (["npx", "playwright", "test"], False),
        ("npm test", False),
    ],
)
def test_is_pytest(command: list[str] | str, expected: bool) -> None:
    assert is_pytest(command) is expected


def test_read_junit_verdicts() -> None:
    cases = read_junit([FIXTURES / "suites" / "other" / "junit.xml"])
    assert [c.verdict for c in cases] == [Verdict.PASSED, Verdict.FAILED, Verdict.PASSED]
    assert cases[0].markers == ("critical",)
