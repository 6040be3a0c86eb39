"""Analysis verdicts: thresholds, baselines, no-data, failure limits and what gets logged."""

from __future__ import annotations

import asyncio

import pytest

from golive.deploy.analysis import Target, judge, run_analysis
from golive.deploy.config import Analysis, Metric


def test_success_rate_below_minimum_fails_with_numbers() -> None:
    r = judge(Metric(name="success-rate", min=99), 97.1, None, "q", "fail")
    assert not r.passed
    assert r.reason == "success-rate 97.1% < 99.0%"


def test_latency_regression_against_baseline() -> None:
    m = Metric(name="latency-p95", max=500, max_regression=50)
    assert judge(m, 140, 100, "q", "fail").passed
    bad = judge(m, 180, 100, "q", "fail")
    assert not bad.passed and "80.0 ms worse than the baseline 100.0 ms" in bad.reason


def test_no_data_fails_unless_configured() -> None:
    m = Metric(name="success-rate", min=99)
    assert not judge(m, None, None, "q", "fail").passed
    assert judge(m, None, None, "q", "pass").passed


class _Scripted:
    """A provider returning prepared values, one per measurement."""

    name = "scripted"

    def __init__(self, values: list[float | None]) -> None:
        self.values = values
        self.calls = 0

    async def read(
        self, metrics: list[Metric], target: Target
    ) -> list[tuple[float | None, float | None, str]]:
        value = self.values[self.calls]
        self.calls += 1
        return [(value, None, 'up{version="v2"}') for _ in metrics]


def _analysis(**kw: object) -> Analysis:
    base = {
        "interval": 0.01,
        "count": 5,
        "failure_limit": 1,
        "metrics": [Metric(name="success-rate", min=99)],
    }
    base.update(kw)
    return Analysis.model_validate(base)


def test_failure_limit_tolerates_one_bad_measurement() -> None:
    logs: list[str] = []
    provider = _Scripted([100, 90, 100, 100, 100])
    result = asyncio.run(
        run_analysis(_analysis(), provider, Target(version="v2", url=None), phase="p", log=logs.append)
    )
    assert result.passed and len(result.measurements) == 5
    assert "1 of 5 measurements failed (failure limit 1)" in result.verdict


def test_analysis_stops_as_soon_as_it_has_failed() -> None:
    logs: list[str] = []
    provider = _Scripted([50, 60, 100, 100, 100])
    result = asyncio.run(
        run_analysis(_analysis(), provider, Target(version="v2", url=None), phase="p", log=logs.append)
    )
    assert not result.passed
    assert provider.calls == 2, "a failed analysis must not keep the bad version in traffic"
    assert "success-rate 60.0% < 99.0% in 2 of 2 measurements" in result.verdict
    assert any(
        "FAIL success-rate 50.0% < 99.0%" in line and 'query: up{version="v2"}' in line for line in logs
    )


@pytest.mark.parametrize(("no_data", "passed"), [("fail", False), ("pass", True)])
def test_no_data_counts_as_configured(no_data: str, passed: bool) -> None:
    provider = _Scripted([None] * 5)
    result = asyncio.run(
        run_analysis(
            _analysis(no_data=no_data),
            provider,
            Target(version="v2", url=None),
            phase="p",
            log=lambda _: None,
        )
    )
    assert result.passed is passed
