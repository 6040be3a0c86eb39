"""Tiered scoring and the GO / NO-GO decision.

Only ``pass`` and waived criteria count as passed. Every other status counts against its
tier: a readiness tool must never say GO on missing evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from golive.results import (
    AreaScore,
    CheckResult,
    Decision,
    Risk,
    RiskItem,
    Scorecard,
    Tier,
    TierScore,
)
from golive.spec.models import Tiers

_RISK_BY_TIER = {Tier.MUST: Risk.HIGH, Tier.SHOULD: Risk.MEDIUM, Tier.NICE: Risk.LOW}
_TIER_ORDER = {Tier.MUST: 0, Tier.SHOULD: 1, Tier.NICE: 2}


def score(results: Sequence[CheckResult], tiers: Tiers) -> Scorecard:
    """Score results per tier and area, and decide."""
    tier_scores = []
    for tier in Tier:
        in_tier = [r for r in results if r.tier is tier]
        tier_scores.append(
            TierScore(
                tier=tier,
                passed=sum(r.passed for r in in_tier),
                total=len(in_tier),
                threshold=tiers.threshold(tier),
            )
        )
    areas: dict[str, list[CheckResult]] = {}
    for r in results:
        areas.setdefault(r.area, []).append(r)
    area_scores = tuple(
        AreaScore(area=a, passed=sum(r.passed for r in rs), total=len(rs)) for a, rs in sorted(areas.items())
    )
    failed_tiers = {t.tier for t in tier_scores if not t.met}
    decision = Decision.NO_GO if failed_tiers or not results else Decision.GO
    # Blocking: the failing criteria of every tier that missed its threshold, must first.
    blocking = tuple(
        r.criterion_id
        for r in sorted(results, key=lambda r: _TIER_ORDER[r.tier])
        if not r.passed and r.tier in failed_tiers
    )
    risks = tuple(
        RiskItem(
            criterion_id=r.criterion_id,
            title=r.title,
            level=_RISK_BY_TIER[r.tier],
            description=r.risk or f"{r.title} is not demonstrated ({r.status.value}).",
            status=r.status,
            owner=r.owner,
        )
        for r in sorted(results, key=lambda r: (_TIER_ORDER[r.tier], r.criterion_id))
        if not r.passed
    )
    total = len(results)
    readiness = 100.0 * sum(r.passed for r in results) / total if total else 0.0
    return Scorecard(
        tiers=tuple(tier_scores),
        areas=area_scores,
        readiness=readiness,
        decision=decision,
        blocking=blocking,
        risks=risks,
    )
