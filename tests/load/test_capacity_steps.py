"""A capacity step ends as soon as every SLO threshold has enough requests, and says so.

Against the real loopback test server (tests/fixtures/load): a fast endpoint at a high rate
gives enough requests in the first seconds of each step; a rarely made request never does, and
its step runs its full duration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from golive.load._thresholds import parse_threshold
from golive.load.checks import LoadCapacityCheck
from golive.results import Status
from tests.fixtures.servers import Server
from tests.load.conftest import RunCheck


def _result(tmp_path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((tmp_path / "artifacts" / "capacity.json").read_text())["result"]
    return result


def test_enough_is_the_validate_margin() -> None:
    # n - 3 * sqrt(n) >= needed: 39 requests for a p95 (needs 20), 11 for an error rate (needs 1),
    # 135 for a p99 (needs 100).
    assert parse_threshold("p95 < 300ms").enough == 39
    assert parse_threshold("error_rate < 1%").enough == 11
    assert parse_threshold("p99 < 1s").enough == 135


def test_a_step_ends_once_every_threshold_has_enough_requests(
    run_check: RunCheck, limited: Server, tmp_path: Path
) -> None:
    # 2 and 4 users at 20 req/s each: 40-80 requests a second, far more than 39 in 2 s.
    outcome = run_check(
        LoadCapacityCheck,
        {
            "requests": [{"path": "/fast"}],
            "rate_per_user": 20,
            "start_users": 2,
            "step_users": 2,
            "max_users": 4,
            "step_duration": "10s",
            "settle": "0.5s",
            "min_step": "2s",
            "thresholds": ["p95 < 500ms", "error_rate < 1%"],
        },
        base_url=limited.url,
    )
    assert outcome.status is Status.PASS, outcome.evidence.excerpt
    steps = _result(tmp_path)["steps"]
    assert [s["users"] for s in steps] == [2, 4]
    for step in steps:
        assert step["ended_early"], step
        # settle, the rest of the first second, the 2 s window and the second being counted.
        assert step["seconds"] < 6, step
        assert step["judged_s"] >= 2
        samples = dict(step["samples"])
        assert samples["p95 < 500ms"] >= 39 and samples["error_rate < 1%"] >= 11
        assert step["requests"] == samples["p95 < 500ms"]
    assert "ended early" in outcome.evidence.excerpt


def test_a_step_without_enough_requests_runs_its_full_duration(
    run_check: RunCheck, limited: Server, tmp_path: Path
) -> None:
    # All requests together are plenty, but "rare" is one in ten: about 12 in the judged 3 s,
    # short of the 39 a p95 needs to end early (and of the 20 it needs to be judged at all).
    outcome = run_check(
        LoadCapacityCheck,
        {
            "requests": [
                {"path": "/fast", "name": "common", "weight": 9},
                {"path": "/fast", "name": "rare", "weight": 1},
            ],
            "rate_per_user": 20,
            "start_users": 2,
            "max_users": 2,
            "step_duration": "4s",
            "settle": "0.5s",
            "min_step": "1s",
            "thresholds": ["error_rate < 1%", {"threshold": "p95 < 500ms", "request": "rare"}],
        },
        base_url=limited.url,
    )
    (step,) = _result(tmp_path)["steps"]
    assert not step["ended_early"], step
    assert step["seconds"] >= 3.9
    samples = dict(step["samples"])
    assert samples["error_rate < 1%"] >= 39
    assert samples["p95 < 500ms [rare]"] < 39
    # Weights are honoured: "rare" is about a tenth of all requests.
    assert samples["p95 < 500ms [rare]"] < samples["error_rate < 1%"] / 4
    # Too few "rare" requests to judge its p95: no verdict, never a pass.
    assert outcome.status is Status.NO_DATA, outcome.summary
