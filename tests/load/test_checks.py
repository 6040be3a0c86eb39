"""The load check types against a real server with a known capacity (tests/fixtures/load)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from golive.kit.check import CheckError
from golive.load import FAMILY
from golive.load.checks import (
    LoadCapacityCheck,
    LoadSoakCheck,
    LoadStressCheck,
    LoadTestCheck,
)
from golive.results import Status
from golive.spec.models import Objectives
from tests.fixtures.servers import Server
from tests.load.conftest import RunCheck, measurement


def test_check_types_are_registered() -> None:
    from golive.checks.registry import CheckRegistry

    registry = CheckRegistry.default()
    names = {name for name, _ in registry.items()}
    assert {"load.test", "load.capacity", "load.soak", "load.stress", "load.cost", "db.queries"} == set(
        FAMILY.checks
    )
    assert set(FAMILY.checks) <= names
    # Each declared target is the class that runs under that name.
    assert all(registry.get(name).name == name for name in FAMILY.checks)


def test_load_test_passes_and_measures_percentiles(
    run_check: RunCheck, limited: Server, tmp_path: Path
) -> None:
    outcome = run_check(
        LoadTestCheck,
        {
            "requests": [
                {"name": "sleep", "path": "/sleep?ms=20", "weight": 3},
                {"name": "fast", "path": "/fast"},
            ],
            "users": 5,
            "duration": "2s",
            "thresholds": [
                "p95 < 500ms",
                "error_rate < 1%",
                "rps >= 20",
                {"threshold": "p50 >= 15ms", "request": "sleep"},
            ],
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.PASS, outcome.summary
    assert 20 <= measurement(outcome, "p95") < 500
    assert measurement(outcome, "error_rate") == 0
    assert "sleep" in outcome.evidence.excerpt and "fast" in outcome.evidence.excerpt
    run = json.loads((tmp_path / "artifacts" / "load-run.json").read_text())
    assert run["stopped_by"] == "duration" and run["workers"] == 0
    # the chart artifact is a real SVG with a series per second
    svg = next(a for a in outcome.evidence.artifacts if a.endswith(".svg"))
    assert Path(svg).read_text().startswith("<svg") and "polyline" in Path(svg).read_text()


def test_load_test_fails_on_breached_thresholds(run_check: RunCheck, limited: Server) -> None:
    outcome = run_check(
        LoadTestCheck,
        {
            "requests": [
                {"name": "flaky", "path": "/flaky?every=10"},
                {"name": "sleep", "path": "/sleep?ms=30"},
            ],
            "users": 4,
            "duration": 2,
            "thresholds": [
                "error_rate < 1%",
                {"threshold": "p95 < 10ms", "request": "sleep"},
                {"threshold": "p95 < 10s", "request": "flaky"},
            ],
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.FAIL
    assert "error_rate < 1%" in outcome.summary and "p95 < 10ms [sleep]" in outcome.summary
    assert "p95 < 10s [flaky]" not in outcome.summary  # the one that held is not listed
    # every 10th /flaky answers 500: half the requests are /flaky, so ~5% errors overall
    assert 2 <= measurement(outcome, "error_rate") <= 8


def test_thresholds_default_to_objectives(run_check: RunCheck, limited: Server) -> None:
    outcome = run_check(
        LoadTestCheck,
        {"requests": [{"path": "/sleep?ms=50"}], "users": 3, "duration": 2},
        base_url=limited.url,
        objectives=Objectives(latency_p95_ms=20, error_rate=1),
    )
    assert outcome.status is Status.FAIL
    assert "p95 < 20ms" in outcome.summary


def test_sustained_breach_aborts_early(run_check: RunCheck, limited: Server) -> None:
    start = time.monotonic()
    outcome = run_check(
        LoadTestCheck,
        {
            "requests": [{"path": "/sleep?ms=200"}],
            "users": 4,
            "duration": "30s",
            "thresholds": [{"threshold": "p95 < 50ms", "abort_on_fail": True, "window": "2s"}],
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("aborted after")
    assert time.monotonic() - start < 12


def test_max_requests_bounds_the_run(run_check: RunCheck, limited: Server) -> None:
    start = time.monotonic()
    outcome = run_check(
        LoadTestCheck,
        {
            "requests": [{"path": "/fast"}],
            "users": 2,
            "duration": "30s",
            "max_requests": 100,
            "think_time": "10ms",
            "thresholds": ["error_rate < 1%"],
        },
        base_url=limited.url,
    )
    assert 100 <= measurement(outcome, "requests") < 160
    assert time.monotonic() - start < 10


def test_refuses_a_target_outside_loopback_and_allow_hosts(run_check: RunCheck, tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="refusing to send load to 10.20.30.40"):
        run_check(
            LoadTestCheck,
            {"requests": [{"path": "/"}], "duration": 1, "thresholds": ["p95 < 1s"]},
            base_url="http://10.20.30.40:8080",
        )
    # nothing was planned or run
    assert not (tmp_path / "artifacts" / "load-plan.json").exists()


def test_load_longer_than_the_criterion_timeout_is_refused(run_check: RunCheck, limited: Server) -> None:
    with pytest.raises(CheckError, match="timeout"):
        run_check(
            LoadTestCheck,
            {"requests": [{"path": "/fast"}], "duration": "5m", "thresholds": ["p95 < 1s"]},
            base_url=limited.url,
            timeout=60,
        )


def test_capacity_finds_the_knee_of_a_server_with_a_known_limit(
    run_check: RunCheck, limited: Server, tmp_path: Path
) -> None:
    # /limited serves at most 100 req/s (one slot, 10 ms per request); each user asks 10 req/s,
    # so the steps offer 20, 40, 80 and 160 req/s. Beyond the limit users wait in the queue:
    # 16 users / ~95 req/s is ~170 ms per request, over the 150 ms SLO.
    outcome = run_check(
        LoadCapacityCheck,
        {
            "requests": [{"path": "/limited"}],
            "rate_per_user": 10,
            "start_users": 2,
            "step_factor": 2,
            "max_users": 16,
            "step_duration": "2.5s",
            "settle": "0.5s",
            "thresholds": ["p95 < 150ms", "error_rate < 1%"],
            "resources": [
                {"name": "slot", "metric": "fixture_busy_seconds_total", "limit": 1, "counter": True}
            ],
            "plan": {"current_rps": 50, "growth": 3, "headroom": 30, "unit_cost": 40},
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.PASS, outcome.evidence.excerpt
    knee = measurement(outcome, "knee_rps")
    # The knee lies below the known limit, and the SLO breaks once offered load passes it.
    assert 15 <= knee <= 105, outcome.evidence.excerpt
    assert measurement(outcome, "max_rps_measured") <= 110
    assert "SLO broke at" in outcome.summary
    assert "slot" in outcome.summary  # the one serving slot is the resource that ran out
    cap = json.loads((tmp_path / "artifacts" / "capacity.json").read_text())
    steps = cap["result"]["steps"]
    assert steps[0]["passed"] and not steps[-1]["passed"]
    assert cap["result"]["broke_at"]["users"] in (8, 16)
    assert "## Capacity plan" in outcome.evidence.excerpt
    # The plan is priced (40 a month per instance) and its figures are kept with the result.
    pricing = cap["plan"]["pricing"]
    assert pricing["instance_month_price"] == 40 and pricing["hours_per_month"] == 730
    assert measurement(outcome, "cost_per_million_at_knee") == pytest.approx(
        40 / 730 / (knee * 3600) * 1e6, rel=0.01
    )
    rows = cap["plan"]["rows"]
    assert measurement(outcome, "monthly_cost_after_growth") == 40 * rows[1]["instances"]


def test_stress_detects_a_service_without_load_shedding(run_check: RunCheck, limited: Server) -> None:
    outcome = run_check(
        LoadStressCheck,
        {
            "requests": [{"path": "/limited"}],
            "users": 150,
            "duration": 3,
            "recovery": 2,
            "recovery_users": 2,
            "request_timeout": "1s",
            "max_latency": "500ms",
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("falls over without shedding load")
    assert measurement(outcome, "shed_responses") == 0


def test_stress_passes_a_service_that_sheds_and_recovers(run_check: RunCheck, shedding: Server) -> None:
    outcome = run_check(
        LoadStressCheck,
        {
            "requests": [{"path": "/limited"}],
            "users": 150,
            "duration": 3,
            "recovery": 2,
            "recovery_users": 2,
            "request_timeout": "1s",
            "max_latency": "500ms",
        },
        base_url=shedding.url,
    )
    assert outcome.status is Status.PASS, outcome.summary
    assert measurement(outcome, "shed_responses") > 0


def test_soak_reports_memory_and_drift(run_check: RunCheck, limited: Server) -> None:
    outcome = run_check(
        LoadSoakCheck,
        {
            "requests": [{"path": "/fast"}],
            "users": 3,
            "duration": "4s",
            "think_time": "20ms",
            "thresholds": ["error_rate < 1%"],
            "max_memory_growth": 50,
            "max_latency_drift": 10000,
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.PASS, outcome.summary
    names = {m.name for m in outcome.measurements}
    assert {"memory_growth", "error_drift", "p95_drift"} <= names


def test_distributed_mode_gives_the_same_result_form(
    run_check: RunCheck, limited: Server, tmp_path: Path
) -> None:
    params = {
        "requests": [{"name": "sleep", "path": "/sleep?ms=10"}],
        "users": 4,
        "duration": "3s",
        "thresholds": ["p95 < 1s", "error_rate < 1%"],
        "workers": 2,
    }
    outcome = run_check(LoadTestCheck, params, base_url=limited.url)
    assert outcome.status is Status.PASS, outcome.summary
    run = json.loads((tmp_path / "artifacts" / "load-run.json").read_text())
    assert run["workers"] == 2
    assert {m.name for m in outcome.measurements} >= {"requests", "rps", "error_rate", "p50", "p95", "p99"}
    assert measurement(outcome, "requests") > 50
    assert "sleep" in outcome.evidence.excerpt
