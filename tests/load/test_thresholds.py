"""k6-style thresholds: parsing and boundaries."""

from __future__ import annotations

import pytest

from golive.load._histogram import Histogram
from golive.load._model import Bucket, LoadRun, Second
from golive.load._thresholds import parse_threshold


@pytest.mark.parametrize(
    ("text", "metric", "op", "value"),
    [
        ("p95 < 300ms", "p95", "<", 300.0),
        ("p(99)<0.8s", "p99", "<", 800.0),
        ("p99.9 <= 2s", "p99.9", "<=", 2000.0),
        ("error_rate < 1%", "error_rate", "<", 1.0),
        ("rps >= 200", "rps", ">=", 200.0),
        ("max < 1500", "max", "<", 1500.0),
    ],
)
def test_parse(text: str, metric: str, op: str, value: float) -> None:
    t = parse_threshold(text)
    assert (t.metric, t.op, t.value) == (metric, op, value)


@pytest.mark.parametrize("text", ["p95 300ms", "latency < 3", "error_rate < 1ms", "rps >= 2ms", "p0 < 1ms"])
def test_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="threshold"):
        parse_threshold(text)


def _run(latencies: dict[float, int], failures: int = 0, seconds: int = 10) -> LoadRun:
    total = sum(latencies.values())
    b = Bucket(requests=total, failures=failures, histogram=Histogram.of(latencies), statuses=((200, total),))
    return LoadRun(
        started=1000.0,
        ended=1000.0 + seconds,
        seconds=(Second(t=1000, users=1, by_name=(("a", b),)),),
        stages=(),
        stopped_by="duration",
    )


@pytest.mark.parametrize(
    ("threshold", "passes"),
    [
        ("p95 < 300ms", False),  # p95 is exactly 300: strict less fails
        ("p95 <= 300ms", True),
        ("p95 < 310ms", True),
        ("error_rate < 1%", False),  # exactly 1%
        ("error_rate <= 1%", True),
        ("rps >= 10", True),  # 100 requests over 10 s
        ("rps > 10", False),
    ],
)
def test_boundaries(threshold: str, passes: bool) -> None:
    # 94 requests at 100ms and 6 at 300ms: the 95th of 100 (nearest rank) is 300ms.
    run = _run({100.0: 94, 300.0: 6}, failures=1)
    (verdict,) = run.judge([parse_threshold(threshold)])
    assert verdict.passed is passes, verdict


def test_per_request_threshold_uses_only_that_name() -> None:
    # 20 requests each: the fewest a p95 is judged on.
    fast = Bucket(requests=20, histogram=Histogram.of({5.0: 20}), statuses=((200, 20),))
    slow = Bucket(requests=20, histogram=Histogram.of({500.0: 20}), statuses=((200, 20),))
    run = LoadRun(
        started=0.0,
        ended=1.0,
        seconds=(Second(t=0, users=1, by_name=(("fast", fast), ("slow", slow))),),
        stages=(),
        stopped_by="duration",
    )
    fast_ok, slow_bad = run.judge(
        [parse_threshold("p95 < 50ms", request="fast"), parse_threshold("p95 < 50ms", request="slow")]
    )
    assert fast_ok.passed and slow_bad.breached
    assert slow_bad.measured == 500.0


def test_no_data_never_passes() -> None:
    run = LoadRun(started=0.0, ended=1.0, seconds=(), stages=(), stopped_by="duration")
    (verdict,) = run.judge([parse_threshold("p95 < 50ms")])
    assert verdict.measured is None and not verdict.passed and not verdict.breached
    assert verdict.status == "no-data"
