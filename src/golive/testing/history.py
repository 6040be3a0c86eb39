"""``ci.history``: success rate and duration of recent CI runs (GitHub Actions REST API).

Needs a token and network access to the GitHub API, so it is optional: without a token
the check is skipped with the reason. Uses ``GET /repos/{owner}/{repo}/actions/runs`` (or
``.../actions/workflows/{workflow}/runs``) with ``status=completed``; a run's duration is
``updated_at - run_started_at``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import Field

from golive.kit.check import CheckContext, CheckError, Params
from golive.kit.environment import MissingVariableError
from golive.results import Evidence, Measurement, Outcome, Status
from golive.spec._duration import Duration, format_duration
from golive.testing._util import pct

GITHUB_API = "https://api.github.com"


class HistoryParams(Params):
    """Params of the ``ci.history`` check."""

    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="owner/name on GitHub.")
    token: str = Field(default="${GITHUB_TOKEN}", description="Token; skipped when unset.")
    workflow: str | None = Field(default=None, description="Workflow file (ci.yml) or id.")
    branch: str | None = Field(default="main", description="Only runs on this branch.")
    runs: int = Field(default=30, ge=1, le=100, description="How many recent runs.")
    min_success_rate: float = Field(default=90.0, ge=0, le=100, description="Percent.")
    max_p95_duration: Duration | None = Field(default=None, description="p95 run duration.")
    api_url: str = Field(default=GITHUB_API, description="GitHub Enterprise: https://HOST/api/v3.")


@dataclass(frozen=True, kw_only=True)
class RunStats:
    """What the recent runs say."""

    total: int
    succeeded: int
    failed: int
    cancelled: int
    durations_s: tuple[float, ...]
    failures: tuple[str, ...]

    @property
    def success_rate(self) -> float:
        """Successful runs among runs that finished with success or failure."""
        return pct(self.succeeded, self.succeeded + self.failed)

    def percentile(self, p: float) -> float | None:
        """A duration percentile (nearest rank)."""
        if not self.durations_s:
            return None
        ordered = sorted(self.durations_s)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def summarize_runs(payload: dict[str, Any]) -> RunStats:
    """Statistics of a ``workflow_runs`` response (completed runs only)."""
    succeeded = failed = cancelled = 0
    durations: list[float] = []
    failures: list[str] = []
    runs = [r for r in payload.get("workflow_runs", []) if r.get("status") == "completed"]
    for run in runs:
        conclusion = run.get("conclusion")
        if conclusion == "success":
            succeeded += 1
        elif conclusion in ("failure", "timed_out", "startup_failure"):
            failed += 1
            failures.append(
                f"#{run.get('run_number')} {run.get('name', '')} on {run.get('head_branch', '')}: "
                f"{conclusion} {run.get('html_url', '')}".strip()
            )
        elif conclusion == "cancelled":
            cancelled += 1
        started, ended = _time(run.get("run_started_at")), _time(run.get("updated_at"))
        if started and ended and conclusion in ("success", "failure"):
            durations.append((ended - started).total_seconds())
    return RunStats(
        total=len(runs),
        succeeded=succeeded,
        failed=failed,
        cancelled=cancelled,
        durations_s=tuple(durations),
        failures=tuple(failures),
    )


def runs_request(params: HistoryParams) -> tuple[str, dict[str, str]]:
    """URL and query of the documented list-runs endpoint."""
    base = params.api_url.rstrip("/")
    if params.workflow:
        url = f"{base}/repos/{params.repo}/actions/workflows/{params.workflow}/runs"
    else:
        url = f"{base}/repos/{params.repo}/actions/runs"
    query = {"status": "completed", "per_page": str(params.runs)}
    if params.branch:
        query["branch"] = params.branch
    return url, query


class HistoryCheck:
    """Success rate and duration of recent GitHub Actions runs."""

    name: ClassVar[str] = "ci.history"
    description: ClassVar[str] = (
        "Recent GitHub Actions runs: success rate and p95 duration (skipped without a token)."
    )
    Params: ClassVar[type[HistoryParams]] = HistoryParams

    async def run(self, params: HistoryParams, ctx: CheckContext) -> Outcome:
        """Fetch recent completed runs and judge them."""
        try:
            token = ctx.resolve(params.token)
        except MissingVariableError as exc:
            return Outcome(
                status=Status.SKIPPED,
                summary=f"no GitHub token ({exc}): CI history needs a token and network access",
            )
        if not token.strip():
            return Outcome(status=Status.SKIPPED, summary="the GitHub token is empty")
        url, query = runs_request(params)
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        try:
            response = await ctx.http.get(url, params=query, headers=headers, timeout=20.0)
        except httpx.HTTPError as exc:
            raise CheckError(f"GitHub API unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise CheckError(f"GitHub API answered HTTP {response.status_code} for {url}")
        stats = summarize_runs(response.json())
        return judge_history(params, stats, f"gh run list --repo {params.repo} --limit {params.runs}")


def judge_history(params: HistoryParams, stats: RunStats, reproducer: str) -> Outcome:
    """Compare run statistics with the thresholds."""
    p95 = stats.percentile(95)
    problems = []
    if stats.succeeded + stats.failed == 0:
        return Outcome(status=Status.NO_DATA, summary="no completed runs to judge", reproducer=reproducer)
    if stats.success_rate < params.min_success_rate:
        problems.append(
            f"success rate {stats.success_rate:g}% < {params.min_success_rate:g}% "
            f"({stats.failed} of {stats.succeeded + stats.failed} runs failed)"
        )
    if params.max_p95_duration is not None and p95 is not None and p95 > params.max_p95_duration:
        problems.append(f"p95 duration {format_duration(p95)} > {format_duration(params.max_p95_duration)}")
    measured = (
        f"{stats.succeeded}/{stats.succeeded + stats.failed} runs succeeded "
        f"({stats.success_rate:g}%), {stats.cancelled} cancelled"
        + (f", p95 duration {format_duration(p95)}" if p95 is not None else "")
    )
    measurements = [
        Measurement(name="runs", value=stats.total),
        Measurement(
            name="success_rate", value=stats.success_rate, unit="%",
            target=f">= {params.min_success_rate:g}",
        ),
    ]  # fmt: skip
    if p95 is not None:
        measurements.append(
            Measurement(
                name="p95_duration",
                value=round(p95, 1),
                unit="s",
                target=f"<= {params.max_p95_duration:g}" if params.max_p95_duration else None,
            )
        )
    return Outcome(
        status=Status.FAIL if problems else Status.PASS,
        summary=("; ".join(problems) + f" - {measured}") if problems else measured,
        measurements=tuple(measurements),
        evidence=Evidence(excerpt="\n".join(stats.failures[:20])),
        reproducer=reproducer,
    )
