"""Readiness metrics: a finished review in Prometheus text format.

``golive review --format prometheus`` writes this next to the other reports; the
``golive monitoring serve-readiness`` command serves it for Prometheus to scrape, which is
what gives the "golive readiness" dashboard its history.
"""

from __future__ import annotations

from typing import ClassVar

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from golive.results import Decision, Review, Status

_STATUSES = tuple(Status)


_BASE = ["service", "environment"]


def _ids(review: Review) -> dict[str, str]:
    return {"service": review.service, "environment": review.environment}


def _review_gauges(registry: CollectorRegistry, review: Review) -> None:
    """The decision and readiness of the review as a whole."""
    ids = _ids(review)
    readiness = Gauge(
        "golive_readiness_percent", "Share of criteria passed (waivers count).", _BASE, registry=registry
    )
    readiness.labels(**ids).set(review.scorecard.readiness)
    go = Gauge("golive_go", "1 when the decision is GO, else 0.", _BASE, registry=registry)
    go.labels(**ids).set(1 if review.decision is Decision.GO else 0)
    partial = Gauge(
        "golive_review_partial",
        "1 when the review ran a selection or was interrupted.",
        _BASE,
        registry=registry,
    )
    partial.labels(**ids).set(1 if (review.partial or review.interrupted) else 0)
    finished = Gauge(
        "golive_review_timestamp_seconds", "When the review finished (Unix time).", _BASE, registry=registry
    )
    finished.labels(**ids).set(review.finished_at.timestamp())
    duration = Gauge("golive_review_duration_seconds", "Wall time of the review.", _BASE, registry=registry)
    duration.labels(**ids).set(review.duration_s)


def _score_gauges(registry: CollectorRegistry, review: Review) -> None:
    """Scores per tier (with thresholds) and per area."""
    ids, labels = _ids(review), [*_BASE, "tier"]
    tier_score = Gauge("golive_tier_score_percent", "Criteria passed per tier.", labels, registry=registry)
    tier_threshold = Gauge(
        "golive_tier_threshold_percent", "Pass threshold per tier.", labels, registry=registry
    )
    tier_met = Gauge("golive_tier_met", "1 when the tier reaches its threshold.", labels, registry=registry)
    for tier in review.scorecard.tiers:
        tier_labels = {**ids, "tier": tier.tier.value}
        tier_score.labels(**tier_labels).set(tier.percent)
        tier_threshold.labels(**tier_labels).set(tier.threshold)
        tier_met.labels(**tier_labels).set(1 if tier.met else 0)
    area_score = Gauge(
        "golive_area_score_percent", "Criteria passed per area.", [*_BASE, "area"], registry=registry
    )
    for area in review.scorecard.areas:
        area_score.labels(**ids, area=area.area).set(area.percent)


def _criterion_gauges(registry: CollectorRegistry, review: Review) -> None:
    """Status, waiver, duration and measurements of every criterion; counts per status."""
    ids, labels = _ids(review), [*_BASE, "criterion", "area", "tier"]
    status = Gauge(
        "golive_criterion_status",
        "1 for the criterion's status, 0 for the others (one series per status).",
        [*labels, "status"],
        registry=registry,
    )
    waived = Gauge(
        "golive_criterion_waived", "1 when a valid waiver covers the criterion.", labels, registry=registry
    )
    check_duration = Gauge(
        "golive_criterion_duration_seconds", "How long the criterion's check ran.", labels, registry=registry
    )
    measurement = Gauge(
        "golive_measurement",
        "Numbers checks measured (time_to_detect, latency, ...), in the unit label's unit.",
        [*labels, "name", "unit"],
        registry=registry,
    )
    counts = Gauge("golive_criteria", "Number of criteria per status.", [*_BASE, "status"], registry=registry)
    per_status = dict.fromkeys(_STATUSES, 0)
    for result in review.results:
        values = {**ids, "criterion": result.criterion_id, "area": result.area, "tier": result.tier.value}
        for s in _STATUSES:
            status.labels(**values, status=s.value).set(1 if result.status is s else 0)
        per_status[result.status] += 1
        waived.labels(**values).set(1 if result.waived else 0)
        check_duration.labels(**values).set(result.duration_s)
        for m in result.measurements:
            measurement.labels(**values, name=m.name, unit=m.unit).set(m.value)
    for s, n in per_status.items():
        counts.labels(**ids, status=s.value).set(n)


def render_prometheus(review: Review) -> str:
    """The review's readiness score, tier/area scores and per-criterion status as text."""
    registry = CollectorRegistry(auto_describe=True)
    _review_gauges(registry, review)
    _score_gauges(registry, review)
    _criterion_gauges(registry, review)
    return generate_latest(registry).decode("utf-8")


class PrometheusReporter:
    """Reporter for ``--format prometheus``: readiness metrics in Prometheus text format."""

    name: ClassVar[str] = "prometheus"
    extension: ClassVar[str] = "prom"

    def render(self, review: Review) -> str:
        """The metrics text of ``review``."""
        return render_prometheus(review)
