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


def render_prometheus(review: Review) -> str:
    """The review's readiness score, tier/area scores and per-criterion status as text."""
    registry = CollectorRegistry(auto_describe=True)
    base = ["service", "environment"]
    ids = {"service": review.service, "environment": review.environment}

    readiness = Gauge(
        "golive_readiness_percent", "Share of criteria passed (waivers count).", base,
        registry=registry,
    )
    readiness.labels(**ids).set(review.scorecard.readiness)
    go = Gauge("golive_go", "1 when the decision is GO, else 0.", base, registry=registry)
    go.labels(**ids).set(1 if review.decision is Decision.GO else 0)
    partial = Gauge(
        "golive_review_partial", "1 when the review ran a selection or was interrupted.", base,
        registry=registry,
    )
    partial.labels(**ids).set(1 if (review.partial or review.interrupted) else 0)
    finished = Gauge(
        "golive_review_timestamp_seconds", "When the review finished (Unix time).", base,
        registry=registry,
    )
    finished.labels(**ids).set(review.finished_at.timestamp())
    duration = Gauge(
        "golive_review_duration_seconds", "Wall time of the review.", base, registry=registry
    )
    duration.labels(**ids).set(review.duration_s)

    tier_score = Gauge(
        "golive_tier_score_percent", "Criteria passed per tier.", [*base, "tier"],
        registry=registry,
    )
    tier_threshold = Gauge(
        "golive_tier_threshold_percent", "Pass threshold per tier.", [*base, "tier"],
        registry=registry,
    )
    tier_met = Gauge(
        "golive_tier_met", "1 when the tier reaches its threshold.", [*base, "tier"],
        registry=registry,
    )
    for tier in review.scorecard.tiers:
        labels = {**ids, "tier": tier.tier.value}
        tier_score.labels(**labels).set(tier.percent)
        tier_threshold.labels(**labels).set(tier.threshold)
        tier_met.labels(**labels).set(1 if tier.met else 0)

    area_score = Gauge(
        "golive_area_score_percent", "Criteria passed per area.", [*base, "area"],
        registry=registry,
    )
    for area in review.scorecard.areas:
        area_score.labels(**ids, area=area.area).set(area.percent)

    criterion_labels = [*base, "criterion", "area", "tier"]
    status = Gauge(
        "golive_criterion_status",
        "1 for the criterion's status, 0 for the others (one series per status).",
        [*criterion_labels, "status"],
        registry=registry,
    )
    waived = Gauge(
        "golive_criterion_waived", "1 when a valid waiver covers the criterion.",
        criterion_labels, registry=registry,
    )
    check_duration = Gauge(
        "golive_criterion_duration_seconds", "How long the criterion's check ran.",
        criterion_labels, registry=registry,
    )
    measurement = Gauge(
        "golive_measurement",
        "Numbers checks measured (time_to_detect, latency, ...), in the unit label's unit.",
        [*criterion_labels, "name", "unit"],
        registry=registry,
    )
    counts = Gauge(
        "golive_criteria", "Number of criteria per status.", [*base, "status"], registry=registry
    )
    per_status = dict.fromkeys(_STATUSES, 0)
    for result in review.results:
        labels = {
            **ids,
            "criterion": result.criterion_id,
            "area": result.area,
            "tier": result.tier.value,
        }
        for s in _STATUSES:
            status.labels(**labels, status=s.value).set(1 if result.status is s else 0)
        per_status[result.status] += 1
        waived.labels(**labels).set(1 if result.waived else 0)
        check_duration.labels(**labels).set(result.duration_s)
        for m in result.measurements:
            measurement.labels(**labels, name=m.name, unit=m.unit).set(m.value)
    for s, n in per_status.items():
        counts.labels(**ids, status=s.value).set(n)
    return generate_latest(registry).decode("utf-8")


class PrometheusReporter:
    """Reporter for ``--format prometheus``: readiness metrics in Prometheus text format."""

    name: ClassVar[str] = "prometheus"
    extension: ClassVar[str] = "prom"

    def render(self, review: Review) -> str:
        """The metrics text of ``review``."""
        return render_prometheus(review)
