"""Tiered scoring and the GO / NO-GO decision.

Only ``pass`` and waived criteria count as passed. Every other status counts against its
tier: a readiness tool must never say GO on missing evidence.

Without goals, each tier's percentage is over its criteria. With goals (the plan's success
criteria, each proven by several checks), a goal passes only when all of its criteria pass,
and each tier's percentage is over its goals: a failed rollback drill fails its goal outright
instead of being one of many checks a percentage can absorb.
"""

from __future__ import annotations

from collections.abc import Sequence

from golive.results import (
    AreaScore,
    CheckResult,
    Decision,
    GoalResult,
    Risk,
    RiskItem,
    Scorecard,
    Tier,
    TierScore,
)
from golive.spec.models import Goal, Tiers

_RISK_BY_TIER = {Tier.MUST: Risk.HIGH, Tier.SHOULD: Risk.MEDIUM, Tier.NICE: Risk.LOW}
_TIER_ORDER = {Tier.MUST: 0, Tier.SHOULD: 1, Tier.NICE: 2}


def judge_goals(results: Sequence[CheckResult], goals: Sequence[Goal]) -> tuple[GoalResult, ...]:
    """Each goal with at least one criterion in ``results``, judged on those criteria."""
    by_id = {r.criterion_id: r for r in results}
    judged = []
    for goal in goals:
        members = [by_id[c] for c in goal.criteria if c in by_id]
        if not members:
            continue
        judged.append(
            GoalResult(
                goal_id=goal.id,
                title=goal.title,
                tier=goal.tier,
                criteria=tuple(r.criterion_id for r in members),
                failing=tuple(r.criterion_id for r in members if not r.passed),
                risk=goal.risk,
            )
        )
    return tuple(judged)


def _tier_scores(units: Sequence[tuple[Tier, bool]], tiers: Tiers) -> tuple[TierScore, ...]:
    """Per tier: how many of its units (criteria, or goals) passed, against its threshold."""
    return tuple(
        TierScore(
            tier=tier,
            passed=sum(ok for t, ok in units if t is tier),
            total=sum(1 for t, _ in units if t is tier),
            threshold=tiers.threshold(tier),
        )
        for tier in Tier
    )


def _risks(results: Sequence[CheckResult], goal_of: dict[str, GoalResult]) -> tuple[RiskItem, ...]:
    """Every criterion not passed, ranked by the tier that decides (its goal's, with goals)."""

    def tier(r: CheckResult) -> Tier:
        return goal_of[r.criterion_id].tier if r.criterion_id in goal_of else r.tier

    return tuple(
        RiskItem(
            criterion_id=r.criterion_id,
            title=r.title,
            level=_RISK_BY_TIER[tier(r)],
            description=r.risk
            or (goal_of[r.criterion_id].risk if r.criterion_id in goal_of else "")
            or f"{r.title} is not demonstrated ({r.status.value}).",
            status=r.status,
            owner=r.owner,
            goal=goal_of[r.criterion_id].title if r.criterion_id in goal_of else "",
            fix=r.fix,
        )
        for r in sorted(results, key=lambda r: (_TIER_ORDER[tier(r)], r.criterion_id))
        if not r.passed
    )


def score(results: Sequence[CheckResult], tiers: Tiers, goals: Sequence[Goal] = ()) -> Scorecard:
    """Score results per tier (over goals when there are any) and area, and decide."""
    judged = judge_goals(results, goals)
    goal_of = {cid: g for g in judged for cid in g.criteria}
    if judged:
        tier_scores = _tier_scores([(g.tier, g.passed) for g in judged], tiers)
    else:
        tier_scores = _tier_scores([(r.tier, r.passed) for r in results], tiers)
    areas: dict[str, list[CheckResult]] = {}
    for r in results:
        areas.setdefault(r.area, []).append(r)
    area_scores = tuple(
        AreaScore(area=a, passed=sum(r.passed for r in rs), total=len(rs)) for a, rs in sorted(areas.items())
    )
    failed_tiers = {t.tier for t in tier_scores if not t.met}
    decision = Decision.NO_GO if failed_tiers or not results else Decision.GO
    # Blocking: the failing criteria of every tier that missed its threshold, must first.

    def deciding_tier(r: CheckResult) -> Tier:
        return goal_of[r.criterion_id].tier if r.criterion_id in goal_of else r.tier

    blocking = tuple(
        r.criterion_id
        for r in sorted(results, key=lambda r: _TIER_ORDER[deciding_tier(r)])
        if not r.passed and deciding_tier(r) in failed_tiers
    )
    if judged:
        readiness = 100.0 * sum(g.passed for g in judged) / len(judged)
    else:
        readiness = 100.0 * sum(r.passed for r in results) / len(results) if results else 0.0
    return Scorecard(
        tiers=tier_scores,
        areas=area_scores,
        readiness=readiness,
        decision=decision,
        blocking=blocking,
        risks=_risks(results, goal_of),
        goals=judged,
    )
