"""A threshold is judged only on enough samples: missing samples are no-data, never a breach.

Issue #14 item 8: storefront's ``pay`` request had no samples in one 30 s run and the same
healthy service got NO-GO. These tests use a ledger scenario (two paced user classes) and
synthetic runs, shaped unlike storefront.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from golive.kit.check import CheckError
from golive.load._capacity import analyse
from golive.load._histogram import Histogram
from golive.load._model import Bucket, LoadRun, Second, StageMark
from golive.load._params import LoadTestParams
from golive.load._stress import judge_recovery
from golive.load._thresholds import default_min_samples, parse_threshold
from golive.load.checks import LoadCapacityCheck, LoadSoakCheck, LoadTestCheck
from golive.results import Status
from golive.spec.models import Objectives
from tests.fixtures.servers import Server
from tests.load.conftest import RunCheck

LEDGER = Path(__file__).resolve().parents[1] / "fixtures" / "load" / "ledger_locust.py"


def _bucket(n: int, ms: float = 10.0, failures: int = 0) -> Bucket:
    return Bucket(requests=n, failures=failures, histogram=Histogram.of({ms: n}), statuses=((200, n),))


def _run(per_second: dict[int, dict[str, Bucket]], marks: tuple[StageMark, ...] = ()) -> LoadRun:
    ts = sorted(per_second)
    return LoadRun(
        started=float(ts[0]),
        ended=float(ts[-1] + 1),
        seconds=tuple(Second(t=t, users=1, by_name=tuple(per_second[t].items())) for t in ts),
        stages=marks,
        stopped_by="duration",
    )


@pytest.mark.parametrize(
    ("metric", "needed"), [("p95", 20), ("p99", 100), ("p50", 2), ("p99.9", 1000), ("avg", 1), ("rps", 1)]
)
def test_a_percentile_needs_enough_samples_not_to_be_the_maximum(metric: str, needed: int) -> None:
    assert default_min_samples(metric) == needed


def test_a_threshold_without_samples_is_no_data_not_a_breach() -> None:
    run = _run({t: {"browse": _bucket(30)} for t in range(100, 110)})
    (verdict,) = run.judge([parse_threshold("p95 < 500ms", request="pay")])
    assert verdict.status == "no-data" and verdict.samples == 0 and not verdict.judged
    (verdict,) = run.judge([parse_threshold("error_rate < 1%", request="pay")])
    assert verdict.status == "no-data"


def test_a_percentile_on_too_few_samples_is_not_judged_but_a_real_breach_is() -> None:
    # 7 slow pays: p95 of 7 samples would just be the slowest one.
    run = _run({100: {"pay": _bucket(7, ms=900.0)}, 101: {"browse": _bucket(40, ms=900.0)}})
    pay, browse = run.judge(
        [parse_threshold("p95 < 500ms", request="pay"), parse_threshold("p95 < 500ms", request="browse")]
    )
    assert pay.status == "no-data" and pay.samples == 7 and pay.threshold.needed == 20
    assert browse.status == "fail"
    # min_samples lowers the bar explicitly.
    (pay,) = run.judge([parse_threshold("p95 < 500ms", request="pay", min_samples=5)])
    assert pay.status == "fail"


def test_capacity_judges_only_steps_with_enough_samples() -> None:
    # Step 1 has 5 requests/s for 4 s (20 after settling 1 s: 15, too few for p95);
    # step 2 has 30/s and meets the SLO; step 3 breaks it.
    seconds: dict[int, dict[str, Bucket]] = {}
    for t in range(100, 104):
        seconds[t] = {"a": _bucket(5)}
    for t in range(104, 108):
        seconds[t] = {"a": _bucket(30)}
    for t in range(108, 112):
        seconds[t] = {"a": _bucket(30, ms=900.0)}
    marks = (
        StageMark(label="1 users", users=1, start=100.0, end=104.0),
        StageMark(label="6 users", users=6, start=104.0, end=108.0),
        StageMark(label="12 users", users=12, start=108.0, end=112.0),
    )
    result = analyse(_run(seconds, marks), [parse_threshold("p95 < 300ms")], [], settle_s=1.0)
    first, second, third = result.steps
    assert not first.judged and not first.passed and "15 samples" in first.unjudged[0]
    assert second.passed and not third.passed
    assert result.knee is second and result.broke_at is third


def test_capacity_with_no_judged_step_has_no_knee_and_no_break() -> None:
    seconds = {t: {"a": _bucket(2, ms=900.0)} for t in range(100, 104)}
    marks = (StageMark(label="1 users", users=1, start=100.0, end=104.0),)
    result = analyse(_run(seconds, marks), [parse_threshold("p95 < 300ms")], [], settle_s=1.0)
    assert result.knee is None and result.broke_at is None
    assert not result.steps[0].judged


def test_stress_recovery_without_a_single_answer_is_a_failure() -> None:
    # Requests were sent during recovery (users > 0) and none completed: the service is down.
    seconds = {t: {"a": _bucket(50)} for t in range(100, 104)}
    rec = StageMark(label="recovery", users=3, start=104.0, end=108.0)
    run = _run(seconds, (rec,))
    run = LoadRun(started=run.started, ended=108.0, seconds=run.seconds, stages=(rec,), stopped_by="duration")
    problem, unjudged = judge_recovery(run, rec, (parse_threshold("p95 < 1s"),))
    assert problem is not None and "no request completed" in problem
    # A few answers, all fast: not enough to judge a p95, so recovery is not verified.
    seconds.update({t: {"a": _bucket(2)} for t in range(105, 108)})
    run = _run(seconds, (rec,))
    problem, unjudged = judge_recovery(run, rec, (parse_threshold("p95 < 1s"),))
    assert problem is None and unjudged and "raise recovery or recovery_users" in unjudged[0]


def test_load_test_missing_samples_is_no_data_with_the_reason_and_the_fix(
    run_check: RunCheck, limited: Server
) -> None:
    outcome = run_check(
        LoadTestCheck,
        {
            "locustfile": str(LEDGER),
            "users": 4,
            "duration": "2s",
            "thresholds": ["error_rate < 1%", {"threshold": "p95 < 1s", "request": "reconcile"}],
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.NO_DATA, outcome.summary
    assert re.search(r"request 'reconcile' had 0 samples in \d+ s; raise duration or users", outcome.summary)
    assert "breached" not in outcome.summary
    assert "? p95 < 1s [reconcile] (not judged: 0 samples" in outcome.evidence.excerpt


def test_load_test_a_real_breach_elsewhere_still_fails(run_check: RunCheck, limited: Server) -> None:
    outcome = run_check(
        LoadTestCheck,
        {
            "locustfile": str(LEDGER),
            "users": 4,
            "duration": "2s",
            "thresholds": [
                {"threshold": "p95 < 1s", "request": "reconcile"},
                {"threshold": "p95 < 1ms", "request": "entry"},
            ],
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.FAIL, outcome.summary
    assert "breached: p95 < 1ms [entry]" in outcome.summary
    assert "not judged: request 'reconcile' had 0 samples" in outcome.summary


def test_soak_without_thresholds_cannot_judge(run_check: RunCheck, limited: Server) -> None:
    # A service failing every request from start to end has no drift: without a threshold
    # a soak would pass it.
    with pytest.raises(CheckError, match="no thresholds"):
        run_check(
            LoadSoakCheck,
            {"requests": [{"path": "/missing"}], "users": 2, "duration": "2s"},
            base_url=limited.url,
        )


def test_soak_with_an_unjudged_threshold_is_no_data(run_check: RunCheck, limited: Server) -> None:
    outcome = run_check(
        LoadSoakCheck,
        {
            "requests": [{"path": "/fast"}],
            "users": 2,
            "duration": "3s",
            "think_time": "20ms",
            "thresholds": ["error_rate < 1%", {"threshold": "p95 < 1s", "request": "nothing"}],
            "max_latency_drift": 10000,
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.NO_DATA, outcome.summary
    assert "request 'nothing' had 0 samples" in outcome.summary


def test_capacity_on_steps_too_thin_to_judge_is_no_data(run_check: RunCheck, limited: Server) -> None:
    """Before: one request made a 'knee' and the check passed ('SLO held at every step')."""
    outcome = run_check(
        LoadCapacityCheck,
        {
            "requests": [{"path": "/sleep?ms=5"}],
            "rate_per_user": 1,
            "start_users": 1,
            "max_users": 2,
            "step_duration": "3s",
            "settle": "1s",
            "thresholds": ["p95 < 300ms"],
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.NO_DATA, outcome.summary
    assert outcome.summary.startswith("no step had enough requests to judge the SLO (1 users: the load had")
    assert "raise step_duration or start_users" in outcome.summary


def test_min_samples_is_a_spec_param() -> None:
    params = LoadTestParams.model_validate(
        {
            "requests": [{"path": "/"}],
            "thresholds": [{"threshold": "p99 < 1s", "request": "GET /", "min_samples": 50}],
        }
    )
    (threshold,) = params.effective_thresholds(Objectives())
    assert threshold.needed == 50 and threshold.min_samples == 50


def test_a_thin_abort_window_never_aborts_the_load(run_check: RunCheck, limited: Server) -> None:
    """Five slow requests in a 1 s window are no evidence of a sustained p95 breach."""
    outcome = run_check(
        LoadTestCheck,
        {
            "requests": [{"name": "slow", "path": "/sleep?ms=200"}],
            "users": 1,
            "duration": "3s",
            "thresholds": [{"threshold": "p95 < 50ms", "abort_on_fail": True, "window": "1s"}],
        },
        base_url=limited.url,
    )
    assert not outcome.summary.startswith("aborted"), outcome.summary
    # ~15 requests over the run: still too few for a p95, so no verdict either way.
    assert outcome.status is Status.NO_DATA, outcome.summary
    assert "p95 needs at least 20; raise duration or users" in outcome.summary
