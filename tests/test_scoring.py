"""Tier thresholds at their boundaries and the GO / NO-GO decision."""

from __future__ import annotations

import pytest

from golive.results import CheckResult, Decision, Risk, Status, Tier
from golive.scoring import score
from golive.spec.models import Goal, Tiers


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


def goal(gid: str, tier: Tier, *criteria: str) -> Goal:
    return Goal(id=gid, title=f"Goal {gid}", tier=tier, criteria=list(criteria), risk=f"risk of goal {gid}")


def test_a_failed_check_fails_its_goal_and_the_goal_decides() -> None:
    """11 should-tier checks with the rollback drill failing: 91% of checks, but a must goal fails."""
    results = [result(f"s{i}", Tier.SHOULD, Status.PASS) for i in range(10)]
    results.append(result("cicd.rollback-drill", Tier.SHOULD, Status.FAIL))
    assert score(results, Tiers()).decision is Decision.GO  # per-check percentages absorb it
    goals = [
        goal("cicd", Tier.MUST, "cicd.rollback-drill", "s0"),
        goal("rest", Tier.SHOULD, *(f"s{i}" for i in range(1, 10))),
    ]
    card = score(results, Tiers(), goals)
    assert card.decision is Decision.NO_GO
    by_id = {g.goal_id: g for g in card.goals}
    assert not by_id["cicd"].passed and by_id["cicd"].failing == ("cicd.rollback-drill",)
    assert by_id["rest"].passed
    assert card.blocking == ("cicd.rollback-drill",)
    (risk,) = card.risks
    assert risk.goal == "Goal cicd" and risk.level is Risk.HIGH
    assert [(t.tier, t.passed, t.total) for t in card.tiers][:2] == [(Tier.MUST, 0, 1), (Tier.SHOULD, 1, 1)]
    assert card.readiness == 50.0


@pytest.mark.parametrize(("failing_goals", "go"), [(1, True), (2, False)])
def test_tier_math_over_goals_at_the_boundary(failing_goals: int, go: bool) -> None:
    """Five should goals of two checks each: 4/5 = 80% meets the tier, 3/5 does not."""
    results, goals = [], []
    for g in range(5):
        ids = [f"g{g}a", f"g{g}b"]
        results += [result(ids[0], Tier.SHOULD, Status.FAIL if g < failing_goals else Status.PASS)]
        results += [result(ids[1], Tier.SHOULD, Status.PASS)]
        goals.append(goal(f"g{g}", Tier.SHOULD, *ids))
    card = score(results, Tiers(), goals)
    assert (card.decision is Decision.GO) is go
    assert card.tiers[1].total == 5


def test_a_waived_check_keeps_its_goal_passing() -> None:
    results = [result("a", Tier.MUST, Status.FAIL, waived=True), result("b", Tier.MUST, Status.PASS)]
    card = score(results, Tiers(), [goal("g", Tier.MUST, "a", "b")])
    assert card.goals[0].passed and card.decision is Decision.GO


def test_goals_without_reviewed_criteria_are_left_out_of_a_partial_review() -> None:
    results = [result("a", Tier.MUST, Status.PASS)]
    card = score(results, Tiers(), [goal("g1", Tier.MUST, "a"), goal("g2", Tier.MUST, "zz")])
    assert [g.goal_id for g in card.goals] == ["g1"]
