"""Findings become one outcome."""

from __future__ import annotations

from golive.kit.outcomes import Findings, no_data
from golive.results import Status


def test_no_problem_is_a_pass_with_what_was_verified() -> None:
    f = Findings()
    f.measure("rows", 3)
    out = f.outcome(passed="3 rows restored")
    assert out.status is Status.PASS and out.summary == "3 rows restored" and out.measurements[0].value == 3


def test_problems_fail_and_all_are_kept_in_the_evidence() -> None:
    f = Findings()
    for i in range(7):
        f.problem(f"p{i}")
    out = f.outcome(passed="x", failed="7 problems", limit=2)
    assert out.status is Status.FAIL
    assert out.summary == "7 problems: p0; p1 (+5 more)"
    assert out.evidence.excerpt.splitlines() == [f"p{i}" for i in range(7)]


def test_no_data_is_its_own_status() -> None:
    assert no_data("nothing scraped yet").status is Status.NO_DATA
