"""ci.history: skip without a token; parsing of a workflow-runs response (history.py).

The response file is hand-written test data in the documented shape, not a recording.
"""

from __future__ import annotations

import json

from golive.results import Status
from golive.testing.history import HistoryParams, judge_history, runs_request, summarize_runs
from tests.testing.conftest import FIXTURES, RunOne

PAYLOAD = json.loads((FIXTURES / "github" / "workflow_runs.json").read_text())


def test_skipped_without_token(run_one: RunOne) -> None:
    r = run_one({"type": "ci.history", "repo": "acme/shop"}, environ={})
    assert r.status is Status.SKIPPED
    assert "no GitHub token" in r.summary and "GITHUB_TOKEN" in r.summary


def test_summarize_documented_response() -> None:
    stats = summarize_runs(PAYLOAD)
    assert (stats.total, stats.succeeded, stats.failed, stats.cancelled) == (10, 7, 2, 1)
    assert stats.success_rate == 77.78
    assert stats.percentile(50) == 305.0
    assert stats.percentile(95) == 615.0
    assert stats.failures[0].startswith("#118 CI on main: failure https://github.com/acme/shop")


def test_judge_thresholds() -> None:
    stats = summarize_runs(PAYLOAD)
    params = HistoryParams(repo="acme/shop", min_success_rate=75, max_p95_duration=600)
    out = judge_history(params, stats, "gh run list")
    assert out.status is Status.FAIL
    assert out.summary.startswith("p95 duration 10m15s > 10m - 7/9 runs succeeded (77.78%)")
    out = judge_history(HistoryParams(repo="acme/shop", min_success_rate=75), stats, "")
    assert out.status is Status.PASS
    out = judge_history(HistoryParams(repo="acme/shop"), stats, "")
    assert out.summary.startswith("success rate 77.78% < 90% (2 of 9 runs failed)")


def test_request_follows_the_documented_endpoints() -> None:
    url, query = runs_request(HistoryParams(repo="acme/shop", workflow="ci.yml", runs=20))
    assert url == "https://api.github.com/repos/acme/shop/actions/workflows/ci.yml/runs"
    assert query == {"status": "completed", "per_page": "20", "branch": "main"}
    url, query = runs_request(
        HistoryParams(repo="acme/shop", branch=None, api_url="https://ghe.example.com/api/v3/")
    )
    assert url == "https://ghe.example.com/api/v3/repos/acme/shop/actions/runs"
    assert "branch" not in query
