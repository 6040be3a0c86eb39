"""Checks against a real Prometheus scraping the fixture app: targets, queries, dashboards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golive.monitoring.checks import (
    GrafanaDashboardsCheck,
    PrometheusQueryCheck,
    PrometheusTargetsCheck,
)
from golive.results import Status
from golive.spec.models import Objectives
from tests.monitoring.conftest import Live, needs_prometheus, run_check

pytestmark = [needs_prometheus, pytest.mark.slow]


def test_targets_up(live: Live, tmp_path: Path) -> None:
    out = run_check(
        PrometheusTargetsCheck,
        {"jobs": ["faulty", "prometheus", "alertmanager", "golive"]},
        workdir=tmp_path,
        prometheus_url=live.prometheus_url,
    )
    assert out.status is Status.PASS, out.summary
    assert out.summary == "4/4 targets of 4 job(s) up, fresh and exposing samples"


def test_missing_target_job_fails(live: Live, tmp_path: Path) -> None:
    out = run_check(
        PrometheusTargetsCheck,
        {"jobs": ["faulty", "payments"]},
        workdir=tmp_path,
        prometheus_url=live.prometheus_url,
    )
    assert out.status is Status.FAIL
    assert out.summary.startswith("job 'payments' has no target in Prometheus (jobs: alertmanager")


def test_targets_need_prometheus_url(tmp_path: Path) -> None:
    from golive.kit.check import CheckError

    with pytest.raises(CheckError, match="needs the environment's prometheus_url"):
        run_check(PrometheusTargetsCheck, {"jobs": ["x"]}, workdir=tmp_path)


# Scrape availability: unaffected by the error drills that share this Prometheus.
AVAILABILITY = 'min(avg_over_time(up{job="faulty"}[1m])) * 100'


def test_query_against_objective_passes(live: Live, tmp_path: Path) -> None:
    out = run_check(
        PrometheusQueryCheck,
        {"query": AVAILABILITY, "objective": "availability", "unit": "%"},
        workdir=tmp_path,
        prometheus_url=live.prometheus_url,
        objectives=Objectives(availability=99.9),
    )
    assert out.status is Status.PASS, out.summary
    assert out.summary.endswith(">= objectives.availability = 99.9")
    assert out.measurements[0].target == ">= 99.9"


def test_query_below_threshold_fails_with_value(live: Live, tmp_path: Path) -> None:
    out = run_check(
        PrometheusQueryCheck,
        {"query": 'sum(up{job="faulty"})', "op": ">=", "threshold": 3},
        workdir=tmp_path,
        prometheus_url=live.prometheus_url,
    )
    assert out.status is Status.FAIL
    assert out.summary == '1/1 series fail >= 3: {} 1 (query: sum(up{job="faulty"}))'


def test_empty_query_is_no_data(live: Live, tmp_path: Path) -> None:
    out = run_check(
        PrometheusQueryCheck,
        {"query": 'up{job="${JOB}"}', "threshold": 1},
        workdir=tmp_path,
        prometheus_url=live.prometheus_url,
        env_vars={"JOB": "nope"},
    )
    assert out.status is Status.NO_DATA
    assert out.summary.startswith('query returned no data: up{job="nope"}; it needs series in Prometheus')


def test_invalid_query_is_error(live: Live, tmp_path: Path) -> None:
    out = run_check(
        PrometheusQueryCheck,
        {"query": "sum(", "threshold": 1},
        workdir=tmp_path,
        prometheus_url=live.prometheus_url,
    )
    assert out.status is Status.ERROR
    assert "bad_data" in out.summary


def test_generated_dashboards_all_have_data(live: Live, tmp_path: Path) -> None:
    out = run_check(
        GrafanaDashboardsCheck,
        {"files": [str(live.monitoring / "dashboards" / "*.json")]},
        workdir=tmp_path,
        prometheus_url=live.prometheus_url,
    )
    assert out.status is Status.PASS, out.evidence.excerpt
    assert "5 dashboard(s)" in out.summary


def test_empty_panel_is_named_with_its_query(live: Live, tmp_path: Path) -> None:
    board = json.loads((live.monitoring / "dashboards" / "faulty-red.json").read_text())
    board["panels"].append(
        {
            "id": 99,
            "type": "timeseries",
            "title": "Checkout latency",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "targets": [{"refId": "A", "expr": 'checkout_seconds{job="faulty"}'}],
        }
    )
    (tmp_path / "red.json").write_text(json.dumps(board))
    out = run_check(
        GrafanaDashboardsCheck,
        {"files": ["red.json"]},
        workdir=tmp_path,
        prometheus_url=live.prometheus_url,
    )
    assert out.status is Status.FAIL
    assert out.summary == (
        f"red.json (faulty / RED): panel 'Checkout latency' (A) is empty on "
        f'{live.prometheus_url}; query: checkout_seconds{{job="faulty"}}'
    )
    assert {m.name: m.value for m in out.measurements}["empty_panels"] == 1
