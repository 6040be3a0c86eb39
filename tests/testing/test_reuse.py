"""Evidence reuse of tests.suite, tests.coverage and ci.pipeline (src/golive/testing/_inputs.py).

Real suites run by the real interpreter, a real history store; a counting subclass of each
check type observes whether a review ran it or reused the earlier verdict.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from golive.results import Status
from golive.testing.coverage import CoverageCheck
from golive.testing.pipeline import PipelineCheck
from golive.testing.suite import SuiteCheck
from tests.fixtures.reuse import ReuseRig, counting
from tests.fixtures.review import crit
from tests.testing.complete_service import write_complete_pipeline
from tests.testing.conftest import FIXTURES

Suite = counting(SuiteCheck, "test.counting_suite")
Coverage = counting(CoverageCheck, "test.counting_coverage")
Pipeline = counting(PipelineCheck, "test.counting_pipeline")
DAY = 86400.0


@pytest.fixture(autouse=True)
def _counting(rig: ReuseRig) -> None:
    for kind in (Suite, Coverage, Pipeline):
        kind.runs = 0
        rig.registry.register(kind)


@pytest.fixture
def suite(rig: ReuseRig) -> Path:
    """The passing fixture suite in the service's directory, with a module it imports."""
    shutil.copytree(FIXTURES / "suites" / "passing", rig.svc, dirs_exist_ok=True)
    (rig.svc / "shop.py").write_text("def price(qty):\n    return qty * 100\n")
    (rig.svc / "test_price.py").write_text(
        "from shop import price\n\ndef test_price():\n    assert price(2) == 200\n"
    )
    return rig.svc


def _suite(**check: Any) -> dict[str, Any]:
    params = {"type": "test.counting_suite", "command": [sys.executable, "-m", "pytest"], **check}
    return crit("test.unit", params, area="testing")


def _twice(rig: ReuseRig, criteria: list[dict[str, Any]], cid: str = "test.unit") -> tuple[Any, Any]:
    first = rig.result(rig.review(criteria, reuse=DAY), cid)
    return first, rig.result(rig.review(criteria, reuse=DAY), cid)


def test_an_unchanged_suite_is_reused_despite_its_caches(rig: ReuseRig, suite: Path) -> None:
    first, second = _twice(rig, [_suite()])
    assert first.status is Status.PASS and first.fingerprint
    # The first run left .pytest_cache behind: caches are not inputs.
    assert (suite / ".pytest_cache").is_dir()
    assert second.reused is not None and Suite.runs == 1
    assert second.status is Status.PASS and second.measurements == first.measurements


@pytest.mark.parametrize("changed", ["test_price.py", "shop.py", "pytest.ini"])
def test_a_changed_test_source_or_config_file_runs_the_suite(
    rig: ReuseRig, suite: Path, changed: str
) -> None:
    rig.review([_suite()], reuse=DAY)
    with (suite / changed).open("a") as handle:
        handle.write("\n# changed\n")
    again = rig.result(rig.review([_suite()], reuse=DAY), "test.unit")
    assert again.reused is None and Suite.runs == 2


def test_a_changed_param_runs_the_suite(rig: ReuseRig, suite: Path) -> None:
    rig.review([_suite()], reuse=DAY)
    again = rig.result(rig.review([_suite(min_tests=2)], reuse=DAY), "test.unit")
    assert again.reused is None and Suite.runs == 2


def test_a_package_installed_for_the_interpreter_runs_the_suite(rig: ReuseRig, suite: Path) -> None:
    site = rig.svc.parent / "site"  # outside the service's tree: only the package list sees it
    site.mkdir()
    criteria = [_suite(env={"PYTHONPATH": str(site)})]
    rig.review(criteria, reuse=DAY)
    dist = site / "extra_lib-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-lib\nVersion: 1.0\n")
    assert rig.result(rig.review(criteria, reuse=DAY), "test.unit").reused is None
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-lib\nVersion: 1.1\n")
    assert rig.result(rig.review(criteria, reuse=DAY), "test.unit").reused is None
    assert rig.result(rig.review(criteria, reuse=DAY), "test.unit").reused is not None
    assert Suite.runs == 3


def test_a_shell_command_is_never_reused(rig: ReuseRig, suite: Path) -> None:
    shell = _suite(command=f"{sys.executable} -m pytest", shell=True)
    first, second = _twice(rig, [shell])
    assert first.status is Status.PASS and first.fingerprint == ""
    assert second.reused is None and Suite.runs == 2


# ------------------------------------------------------------- the suite writes what coverage reads

REPORT = ".golive/coverage.xml"


def _with_coverage() -> list[dict[str, Any]]:
    cov = ["--cov=shop", f"--cov-report=xml:{REPORT}"]
    coverage = {"type": "test.counting_coverage", "report": REPORT, "min_line": 50, "max_age": "1h"}
    return [
        _suite(command=[sys.executable, "-m", "pytest", *cov]),
        crit("test.coverage", coverage, tier="should", area="testing", needs=["test.unit"]),
    ]


def _both(rig: ReuseRig) -> tuple[Any, Any]:
    review = rig.review(_with_coverage(), reuse=DAY)
    return rig.result(review, "test.unit"), rig.result(review, "test.coverage")


def test_suite_and_coverage_are_reused_together(rig: ReuseRig, suite: Path) -> None:
    unit, cov = _both(rig)
    assert unit.status is Status.PASS and cov.status is Status.PASS, cov.summary
    unit2, cov2 = _both(rig)
    assert unit2.reused is not None and cov2.reused is not None
    assert (Suite.runs, Coverage.runs) == (1, 1)
    # The reused coverage verdict keeps the report age it was judged with.
    assert cov2.measurements == cov.measurements


def test_a_missing_report_runs_the_suite_that_writes_it(rig: ReuseRig, suite: Path) -> None:
    _both(rig)
    (suite / REPORT).unlink()
    unit, cov = _both(rig)
    # Reusing the suite would leave coverage without its report: the suite runs and writes it.
    assert unit.reused is None and cov.status is Status.PASS
    assert (Suite.runs, Coverage.runs) == (2, 2)


def test_a_report_written_by_someone_else_is_judged_and_the_suite_runs(rig: ReuseRig, suite: Path) -> None:
    _both(rig)
    report = suite / REPORT
    report.write_text(report.read_text() + "<!-- written again by another run -->\n")
    unit, cov = _both(rig)
    assert unit.reused is None and cov.reused is None
    assert (Suite.runs, Coverage.runs) == (2, 2)


def test_coverage_runs_again_when_a_measured_source_changes(rig: ReuseRig) -> None:
    text = (FIXTURES / "coverage" / "above.xml").read_text()
    (rig.svc / "coverage.xml").write_text(text.replace("/srv/app/src", str(rig.svc / "src")))
    source = rig.svc / "src" / "shop" / "services" / "orders.py"
    source.parent.mkdir(parents=True)
    source.write_text("def total(items):\n    return sum(items)\n")
    check = {"type": "test.counting_coverage", "report": "coverage.xml", "min_line": 80}
    criteria = [crit("test.coverage", check, area="testing")]
    first, second = _twice(rig, criteria, "test.coverage")
    assert first.status is Status.PASS, first.summary
    assert second.reused is not None and Coverage.runs == 1
    source.write_text(source.read_text() + "\n# changed\n")
    assert rig.result(rig.review(criteria, reuse=DAY), "test.coverage").reused is None
    assert Coverage.runs == 2


def test_coverage_with_a_command_is_never_reused(rig: ReuseRig) -> None:
    shutil.copy(FIXTURES / "coverage" / "above.xml", rig.svc / "coverage.xml")
    check = {"type": "test.counting_coverage", "report": "coverage.xml", "command": ["true"]}
    first, second = _twice(rig, [crit("test.coverage", check, area="testing")], "test.coverage")
    assert first.fingerprint == "" and second.reused is None and Coverage.runs == 2


# ------------------------------------------------------------------------------------- ci.pipeline


def test_an_unchanged_pipeline_is_reused_and_a_changed_workflow_runs(rig: ReuseRig) -> None:
    write_complete_pipeline(rig.svc)
    check = {"type": "test.counting_pipeline", "zizmor": False, "actionlint": "off"}
    criteria = [crit("cicd.pipeline", check, area="cicd")]
    first, second = _twice(rig, criteria, "cicd.pipeline")
    assert first.status is Status.PASS, first.summary
    assert second.reused is not None and Pipeline.runs == 1
    workflow = next((rig.svc / ".github" / "workflows").glob("*.yml"))
    workflow.write_text(workflow.read_text() + "\n# changed\n")
    assert rig.result(rig.review(criteria, reuse=DAY), "cicd.pipeline").reused is None
    assert Pipeline.runs == 2
