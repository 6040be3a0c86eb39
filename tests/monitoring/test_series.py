"""prometheus.rules: every selector of every rule must watch series that exist.

The fixture service is "ledger" (tests/fixtures/monitoring/ledger): a Go payments ledger with
35 real-world-shaped rules (subqueries, offsets, group_left, label_replace, unless, topk,
absent, recording rules) and its exposition, served by a real HTTP server and scraped by a
real Prometheus.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from golive.monitoring._promql import PromQLError, parse_selectors
from golive.monitoring._rules import load_rules
from golive.monitoring.checks import PrometheusRulesCheck
from golive.results import Outcome, Status
from tests.monitoring.conftest import (
    FIXTURES,
    Exposition,
    needs_prometheus,
    run_check,
    scraping_prometheus,
    serve_exposition,
)

LEDGER = FIXTURES / "ledger"
RULES = (LEDGER / "rules.yml").read_text()
METRICS = (LEDGER / "metrics.txt").read_text()

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing")


def _selectors(name: str) -> list[str]:
    content = load_rules(LEDGER / "rules.yml")
    rules = {a.name: a.expr for a in content.alerts} | {r.name: r.expr for r in content.records}
    return [s.text for s in parse_selectors(rules[name])]


# ---------------------------------------------------------------------------------- parsing


def test_every_catalogue_rule_parses() -> None:
    content = load_rules(LEDGER / "rules.yml")
    assert len(content.alerts) + len(content.records) == 35
    rules = {a.name: a.expr for a in content.alerts} | {r.name: r.expr for r in content.records}
    for name, expr in rules.items():
        assert parse_selectors(expr) or name == "Watchdog", name


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # A subquery: the selector inside, without the [15m:1m].
        ("LedgerConsumerLagGrowing", ["ledger_consumer_lag_messages"]),
        # offset 1w selects the same series: one selector.
        ("LedgerPostingsDropVsLastWeek", ["ledger_postings_total"]),
        # Strings holding "$1" and "([^:]+):.*" are arguments, not selectors.
        ("LedgerInstanceDown", ['up{job="ledger"}']),
        ("LedgerNoPostings", ["ledger_postings_total"]),
        ("LedgerTooMany4xx", ['ledger_http_requests_total{code=~"4..",handler=~"/v1/.*"}']),
        ("LedgerMemoryNearLimit", ["go_memstats_heap_alloc_bytes", "ledger_memory_limit_bytes"]),
        ("LedgerQueueStuck", ["ledger_queue_depth", "ledger_queue_processed_total"]),
        # `without (instance, code, ...)` names labels, not metrics.
        (
            "ledger:http_errors:ratio_rate1h",
            ['ledger_http_requests_total{code=~"5.."}', "ledger_http_requests_total"],
        ),
        ("LedgerTargetMissing", ['up{job="ledger"}']),
        ("LedgerTopConsumerLagOutlier", ['ledger_consumer_lag_messages{topic="postings"}']),
        ("LedgerErrorBudgetBurn", ["ledger:http_errors:ratio_rate5m", "ledger:http_errors:ratio_rate1h"]),
        ("Watchdog", []),
    ],
)
def test_catalogue_selectors(rule: str, expected: list[str]) -> None:
    assert _selectors(rule) == expected


def test_strings_braces_and_escapes() -> None:
    expr = (
        'count by (path) (hits_total{path="/a{b}",msg="say \\"hi\\""}) '
        'or label_replace(vector(1), "x", "up{job=\\"fake\\"}", "", "")'
    )
    selectors = parse_selectors(expr)
    assert [s.metric for s in selectors] == ["hits_total"]
    assert {(m.name, m.value) for m in selectors[0].matchers} == {("path", "/a{b}"), ("msg", 'say "hi"')}
    assert parse_selectors(selectors[0].text)[0] == selectors[0]  # the rendering reads back


def test_name_regex_selector_and_parse_error() -> None:
    (selector,) = parse_selectors('sum({__name__=~"job:.+", job="a"} @ end())')
    assert selector.metric is None and selector.name_part.text == '{__name__=~"job:.+"}'
    with pytest.raises(PromQLError, match="cannot parse"):
        parse_selectors("sum(rate(x[5m))")


# ------------------------------------------------------------- against the service's /metrics


def _check(workdir: Path, url: str, *, rules: str = RULES, **extra: object) -> Outcome:
    (workdir / "rules.yml").write_text(rules)
    params = {"files": ["rules.yml"], "require_tests": [], **extra}
    return run_check(PrometheusRulesCheck, params, workdir=workdir, base_url=url)


@pytest.fixture
def ledger() -> Iterator[Exposition]:
    with serve_exposition(METRICS) as exposition:
        yield exposition


@needs_promtool
def test_healthy_ledger_passes_against_its_metrics(tmp_path: Path, ledger: Exposition) -> None:
    out = _check(tmp_path, ledger.url, failure_only=["ledger_payment_failures_total"])
    assert out.status is Status.PASS, out.evidence.excerpt
    assert f"match series on the exposition of {ledger.url}/metrics" in out.summary
    assert "failure-only, declared by # HELP/# TYPE: ledger_payment_failures_total" in out.summary
    assert 'not seen yet (metric and labels exist): ledger_http_requests_total{code=~"4.."' in out.summary
    assert "not checkable there (Prometheus makes them): scrape_duration_seconds, up" in out.summary


@needs_promtool
def test_error_counter_without_samples_fails_unless_declared_failure_only(
    tmp_path: Path, ledger: Exposition
) -> None:
    out = _check(tmp_path, ledger.url)
    assert out.status is Status.FAIL
    assert "ledger.payments/LedgerPaymentFailures watches nothing" in out.summary
    assert "no series named ledger_payment_failures_total" in out.summary


@needs_promtool
def test_failure_only_metric_must_still_be_declared(tmp_path: Path, ledger: Exposition) -> None:
    ledger.text = "\n".join(ln for ln in METRICS.splitlines() if "ledger_payment_failures" not in ln) + "\n"
    out = _check(tmp_path, ledger.url, failure_only=["ledger_payment_failures_total"])
    assert out.status is Status.FAIL
    assert "ledger_payment_failures_total is declared failure_only, but no # HELP/# TYPE line" in out.summary


@needs_promtool
def test_metric_renamed_by_the_service_fails_naming_rule_and_metric(
    tmp_path: Path, ledger: Exposition
) -> None:
    ledger.text = METRICS.replace("ledger_consumer_lag_messages", "ledger_kafka_consumer_lag")
    out = _check(tmp_path, ledger.url, failure_only=["ledger_payment_failures_total"])
    assert out.status is Status.FAIL
    assert (
        "ledger.queues/LedgerConsumerLag watches nothing: ledger_consumer_lag_messages"
        in out.evidence.excerpt
    )
    assert "LedgerConsumerLagGrowing watches nothing" in out.evidence.excerpt
    assert "LedgerTopConsumerLagOutlier watches nothing" in out.evidence.excerpt


@needs_promtool
def test_label_renamed_by_the_service_fails(tmp_path: Path, ledger: Exposition) -> None:
    ledger.text = METRICS.replace('outcome="', 'result="')
    out = _check(tmp_path, ledger.url, failure_only=["ledger_payment_failures_total"])
    assert out.status is Status.FAIL
    assert "LedgerDependencyErrors watches nothing" in out.summary
    assert (
        "ledger_outbound_requests_total has no label 'outcome' (its labels: dependency, result)"
        in out.summary
    )


@needs_promtool
def test_recording_rule_watching_nothing_names_the_alerts_it_feeds(
    tmp_path: Path, ledger: Exposition
) -> None:
    ledger.text = METRICS.replace("ledger_http_request_duration_seconds", "ledger_http_latency_seconds")
    out = _check(tmp_path, ledger.url, failure_only=["ledger_payment_failures_total"])
    assert out.status is Status.FAIL
    assert "ledger.recording/ledger:http_latency_seconds:p99_5m watches nothing" in out.summary
    assert "(it feeds LedgerLatencyHigh)" in out.summary


@needs_promtool
def test_unreadable_metrics_is_an_error_and_off_says_not_checked(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(RULES)
    params = {"files": ["rules.yml"], "require_tests": []}
    from golive.kit.check import CheckError

    with pytest.raises(CheckError, match="cannot read the service's metrics at http://127.0.0.1:9/metrics"):
        run_check(PrometheusRulesCheck, params, workdir=tmp_path)
    out = run_check(PrometheusRulesCheck, {**params, "series": "off"}, workdir=tmp_path)
    assert out.status is Status.PASS
    assert "selectors NOT checked against live series (series: off)" in out.summary


# ------------------------------------------------------------------ against a live Prometheus


@needs_promtool
@needs_prometheus
def test_live_prometheus_settles_then_judges_every_selector(tmp_path: Path, ledger: Exposition) -> None:
    typo = RULES.replace('go_goroutines{job="ledger"}', 'go_goroutines{job="ledgr"}').replace(
        "max by (topic) (ledger_consumer_lag_messages)", "max by (topic) (ledger_consumer_lag_msgs)"
    )
    with scraping_prometheus(tmp_path, {"ledger": [ledger.address]}) as prom:
        # Checked at once: Prometheus has not scraped yet, the check waits for the first scrape.
        (tmp_path / "rules.yml").write_text(RULES)
        params = {
            "files": ["rules.yml"],
            "require_tests": [],
            "failure_only": ["ledger_payment_failures_total"],
        }
        healthy = run_check(PrometheusRulesCheck, params, workdir=tmp_path, prometheus_url=prom)
        assert healthy.status is Status.PASS, healthy.evidence.excerpt
        assert f"match series on Prometheus {prom}" in healthy.summary
        # Prometheus' metadata (the targets' # HELP/# TYPE lines) declares the error counter.
        assert "failure-only, declared by # HELP/# TYPE: ledger_payment_failures_total" in healthy.summary
        assert {m.name: m.value for m in healthy.measurements}["selectors"] == 33

        (tmp_path / "rules.yml").write_text(typo)
        broken = run_check(PrometheusRulesCheck, params, workdir=tmp_path, prometheus_url=prom)
    assert broken.status is Status.FAIL
    assert 'no go_goroutines series has job="ledgr" (job: ledger)' in broken.evidence.excerpt
    assert "ledger.queues/LedgerConsumerLag watches nothing" in broken.evidence.excerpt
    assert "no series named ledger_consumer_lag_msgs" in broken.evidence.excerpt
