"""Readiness metrics in Prometheus text format."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from syrupy.assertion import SnapshotAssertion

from golive.monitoring.readiness import PrometheusReporter, render_prometheus
from tests.fixtures.reporters.reviews import make_review


def test_render_matches_snapshot(snapshot: SnapshotAssertion) -> None:
    assert render_prometheus(make_review()) == snapshot


def test_metrics_parse_and_carry_scores() -> None:
    review = make_review()
    families = {f.name: f for f in text_string_to_metric_families(render_prometheus(review))}
    readiness = families["golive_readiness_percent"].samples[0]
    assert readiness.labels == {"service": "storefront", "environment": review.environment}
    assert readiness.value == review.scorecard.readiness
    go = families["golive_go"].samples[0].value
    assert go == (1.0 if review.decision.value == "GO" else 0.0)
    status = [s for s in families["golive_criterion_status"].samples if s.value == 1]
    assert len(status) == len(review.results)  # exactly one status per criterion
    tiers = {s.labels["tier"] for s in families["golive_tier_score_percent"].samples}
    assert tiers == {"must", "should", "nice"}


def test_reporter_protocol() -> None:
    reporter = PrometheusReporter()
    assert (reporter.name, reporter.extension) == ("prometheus", "prom")
    assert reporter.render(make_review()).startswith("# HELP golive_readiness_percent")
