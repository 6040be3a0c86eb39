"""tests.coverage on Cobertura fixtures just above / below 80% (src/golive/testing/coverage.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from golive.results import Status
from golive.testing._cobertura import read_cobertura
from golive.testing.base import TestingError
from tests.testing.conftest import FIXTURES, RunOne

COV = FIXTURES / "coverage"


def _m(result, name: str) -> float:
    return next(m.value for m in result.measurements if m.name == name)


def test_just_above_threshold_passes(run_one: RunOne) -> None:
    r = run_one({"type": "tests.coverage", "report": str(COV / "above.xml"), "min_line": 80})
    assert r.status is Status.PASS, r.summary
    assert _m(r, "line_coverage") == 80.5
    assert "overall: lines 161/200 (80.5%), branches 17/20 (85%)" in r.summary


def test_just_below_threshold_fails(run_one: RunOne) -> None:
    r = run_one({"type": "tests.coverage", "report": str(COV / "below.xml"), "min_line": 80})
    assert r.status is Status.FAIL
    assert r.summary == "overall line coverage 79.5% < 80%"


def test_branch_and_critical_package_thresholds(run_one: RunOne) -> None:
    r = run_one(
        {
            "type": "tests.coverage",
            "report": str(COV / "below.xml"),
            "min_line": 75,
            "min_branch": 80,
            "packages": [
                {"name": "shop.services", "min_line": 90},
                {"name": "shop/web", "min_line": 40},
            ],
        }
    )
    assert r.status is Status.FAIL
    assert "overall branch coverage 75% < 80%" in r.summary
    assert "shop.services line coverage 89.33% < 90%" in r.summary
    assert _m(r, "shop/web line_coverage") == 50.0
    r = run_one(
        {
            "type": "tests.coverage",
            "report": str(COV / "above.xml"),
            "packages": [{"name": "shop.services", "min_line": 90}],
        }
    )
    assert r.status is Status.PASS, r.summary
    assert _m(r, "shop.services line_coverage") == 90.67


def test_report_select_by_path_and_package() -> None:
    report = read_cobertura(COV / "above.xml")
    assert report.select("shop/services").lines_covered == 136
    assert report.select("shop.services").lines_valid == 150
    assert report.select("shop/services/orders.py").lines_covered == 92
    assert report.select("nothing").lines_valid == 0


def test_missing_stale_and_invalid_reports(run_one: RunOne, tmp_path: Path) -> None:
    r = run_one({"type": "tests.coverage", "report": str(tmp_path / "nope.xml")})
    assert r.status is Status.ERROR
    assert "not found" in r.summary
    stale = tmp_path / "stale.xml"
    shutil.copy(COV / "above.xml", stale)
    r = run_one({"type": "tests.coverage", "report": str(stale), "max_age": "1h"})
    assert r.status is Status.FAIL
    assert "old (max 1h)" in r.summary
    (tmp_path / "bad.xml").write_text("<html/>")
    with pytest.raises(TestingError, match="not a Cobertura report"):
        read_cobertura(tmp_path / "bad.xml")


def test_real_coverage_py_report(run_one: RunOne, tmp_path: Path) -> None:
    """A report coverage.py really wrote, produced by the check's own command."""
    (tmp_path / "calc.py").write_text(
        "def sign(x):\n    if x > 0:\n        return 1\n    if x < 0:\n        return -1\n    return 0\n"
    )
    (tmp_path / "run.py").write_text("import calc\nassert calc.sign(5) == 1\n")
    r = run_one(
        {
            "type": "tests.coverage",
            "command": f"cd {tmp_path} && {sys.executable} -m coverage run --branch run.py"
            f" && {sys.executable} -m coverage xml -o coverage.xml",
            "shell": True,
            "report": str(tmp_path / "coverage.xml"),
            "packages": [{"name": "calc.py", "min_line": 100}],
            "max_age": "10m",
        }
    )
    assert r.status is Status.FAIL
    # calc.py runs 3 of its 6 lines; run.py both of its 2: 5/8 overall.
    assert r.summary == "overall line coverage 62.5% < 80%; calc.py line coverage 50% < 100%"
