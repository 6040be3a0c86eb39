"""Tier thresholds at their boundaries and the GO / NO-GO decision."""

from __future__ import annotations

import pytest

from golive.results import CheckResult, Decision, Risk, Status, Tier
from golive.scoring import score
from golive.spec.models import Tiers


def result(cid: str, tier: Tier, status: Status, waived: bool = False) -> CheckResult:
    return CheckResult(
        criterion_id=cid,
        title=cid,
        area="docs",
        tier=tier,
        check_type="command",
        status=status,
        summary="",
        waived=waived,
        risk=f"risk of {cid}",
    )


def tier_results(tier: Tier, passed: int, total: int) -> list[CheckResult]:
    return [
        result(f"{tier.value}{i}", tier, Status.PASS if i < passed else Status.FAIL) for i in range(total)
    ]


@pytest.mark.parametrize(
    ("passed", "total", "go"), [(4, 5, True), (8, 10, True), (3, 4, False), (79, 100, False), (80, 100, True)]
)
def test_should_tier_boundary(passed: int, total: int, go: bool) -> None:
    card = score(tier_results(Tier.SHOULD, passed, total), Tiers())
    assert (card.decision is Decision.GO) is go


@pytest.mark.parametrize(("passed", "total", "go"), [(3, 5, True), (2, 5, False), (6, 10, True)])
def test_nice_tier_boundary(passed: int, total: int, go: bool) -> None:
    assert (score(tier_results(Tier.NICE, passed, total), Tiers()).decision is Decision.GO) is go


@pytest.mark.parametrize(
    "status", [Status.FAIL, Status.ERROR, Status.NO_DATA, Status.SKIPPED, Status.BLOCKED]
)
def test_any_non_pass_must_blocks_go(status: Status) -> None:
    results = tier_results(Tier.MUST, 9, 9) + [result("m", Tier.MUST, status)]
    card = score(results, Tiers())
    assert card.decision is Decision.NO_GO
    assert card.blocking == ("m",)
    assert card.risks[0].level is Risk.HIGH and card.risks[0].description == "risk of m"


def test_waived_counts_as_passed() -> None:
    card = score([result("m", Tier.MUST, Status.FAIL, waived=True)], Tiers())
    assert card.decision is Decision.GO and card.readiness == 100.0


def test_custom_thresholds_and_areas() -> None:
    results = tier_results(Tier.SHOULD, 1, 2)
    assert score(results, Tiers(should=50)).decision is Decision.GO
    assert score(results, Tiers(should=51)).decision is Decision.NO_GO
    card = score(results, Tiers())
    assert [(a.area, a.passed, a.total) for a in card.areas] == [("docs", 1, 2)]
    assert card.readiness == 50.0
    assert [r.level for r in card.risks] == [Risk.MEDIUM]


def test_blocking_lists_must_first_and_empty_review_is_no_go() -> None:
    results = tier_results(Tier.NICE, 0, 1) + tier_results(Tier.MUST, 0, 1)
    assert score(results, Tiers()).blocking == ("must0", "nice0")
    assert score([], Tiers()).decision is Decision.NO_GO
