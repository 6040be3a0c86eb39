"""The one async client for the Prometheus HTTP API golive uses (queries, targets, rules, alerts).

Errors are typed: :class:`PrometheusUnreachable` when nothing answers (an ``error`` for a
check: golive could not look), :class:`PrometheusQueryError` when Prometheus answered with
an error (a bad expression, a timeout inside Prometheus).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from golive.errors import GoliveError


class PrometheusError(GoliveError):
    """Prometheus could not answer as asked."""


class PrometheusUnreachable(PrometheusError):
    """No answer from Prometheus (connection refused, timeout, not a Prometheus API)."""


class PrometheusQueryError(PrometheusError):
    """Prometheus answered with an error (bad expression, execution error)."""


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One series of an instant query result."""

    labels: Mapping[str, str]
    value: float

    def describe(self) -> str:
        """``{job="x"} 0.99`` for reports."""
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        return f"{{{inner}}} {self.value:g}"


@dataclass(frozen=True, kw_only=True)
class Series:
    """One series of a range query result: (unix time, value) points."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, kw_only=True)
class Target:
    """One active scrape target."""

    job: str
    instance: str
    health: str
    last_error: str
    last_scrape: datetime | None
    scrape_interval_s: float
    scrape_url: str
    labels: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class ActiveAlert:
    """An alert Prometheus currently holds (pending or firing)."""

    name: str
    state: str
    labels: Mapping[str, str]
    active_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A loaded alerting or recording rule."""

    name: str
    kind: str
    group: str
    query: str
    for_s: float
    health: str
    last_error: str


def parse_time(text: str | None) -> datetime | None:
    """A Prometheus timestamp (RFC 3339 with nanoseconds) as a datetime; None for the zero time."""
    if not text or text.startswith("0001-01-01"):
        return None
    # Go prints nanoseconds; Python's fromisoformat takes at most microseconds.
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_duration(text: str) -> float:
    """A Prometheus duration (``1m30s``, ``500ms``) in seconds."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, "y": 31536000.0}
    total, number, i = 0.0, "", 0
    while i < len(text):
        c = text[i]
        if c.isdigit() or c == ".":
            number += c
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else c
        total += float(number or 0) * units.get(unit, 0.0)
        number = ""
        i += len(unit)
    return total


def finite(samples: list[Sample]) -> list[Sample]:
    """The samples whose value is a number (NaN or ±Inf means "no data" for a judgement)."""
    return [s for s in samples if not (math.isnan(s.value) or math.isinf(s.value))]


class PrometheusClient:
    """Queries a live Prometheus through an :class:`httpx.AsyncClient` the caller owns."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, timeout: float = 10.0) -> None:
        self._client = client
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout

    def reproducer(self, endpoint: str, query: str | None = None) -> str:
        """A curl command that repeats a request to an API endpoint (``query``, ``alerts``, ...)."""
        import shlex

        url = f"{self.base_url}/api/v1/{endpoint}"
        if query is None:
            return f"curl -s {shlex.quote(url)}"
        return f"curl -s {url} --data-urlencode {shlex.quote('query=' + query)}"

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = await self._client.get(url, params=params, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise PrometheusUnreachable(f"Prometheus at {self.base_url} is unreachable: {exc!r}") from None
        try:
            body = response.json()
        except ValueError:
            raise PrometheusUnreachable(
                f"GET {url}: HTTP {response.status_code}, not a Prometheus API answer"
            ) from None
        if not isinstance(body, dict) or body.get("status") not in ("success", "error"):
            # A proxy's or another server's JSON: nothing here answered as Prometheus does.
            raise PrometheusUnreachable(
                f"GET {url}: HTTP {response.status_code}, not a Prometheus API answer"
            )
        if body.get("status") != "success":
            raise PrometheusQueryError(
                f"{body.get('errorType', 'error')}: {body.get('error', response.text[:200])}"
            )
        return body.get("data")

    async def query(self, expr: str) -> list[Sample]:
        """Evaluate an instant query; scalars become one sample without labels."""
        data = await self._get("/api/v1/query", {"query": expr})
        kind = data.get("resultType")
        if kind in ("scalar", "string"):
            return [Sample(labels={}, value=float(data["result"][1]))]
        if kind == "vector":
            return [
                Sample(labels=dict(item.get("metric", {})), value=float(item["value"][1]))
                for item in data.get("result", [])
            ]
        raise PrometheusQueryError(f"query returned a {kind}; use an instant vector expression")

    async def query_value(self, expr: str) -> float | None:
        """The single finite value of an instant query; None when it has no data.

        PrometheusQueryError when the query returns more than one series.
        """
        values = finite(await self.query(expr))
        if not values:
            return None
        if len(values) > 1:
            raise PrometheusQueryError(
                f"query {expr!r} returned {len(values)} series; aggregate it to one value"
            )
        return values[0].value

    async def query_range(self, expr: str, *, start: float, end: float, step: float) -> list[Series]:
        """Evaluate a range query between two unix times."""
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        data = await self._get("/api/v1/query_range", params)
        return [
            Series(
                labels=dict(item.get("metric", {})),
                points=tuple((float(t), float(v)) for t, v in item.get("values", [])),
            )
            for item in data.get("result", [])
        ]

    async def series(
        self, match: str, *, start: float | None = None, end: float | None = None
    ) -> list[dict[str, str]]:
        """Label sets of the series a selector matches."""
        params = {"match[]": match}
        if start is not None:
            params["start"] = f"{start:.3f}"
        if end is not None:
            params["end"] = f"{end:.3f}"
        data = await self._get("/api/v1/series", params)
        return [dict(item) for item in data or []]

    async def label_values(
        self, label: str, *, match: str | None = None, start: float | None = None, end: float | None = None
    ) -> list[str]:
        """The values of ``label`` (on the series ``match`` selects, when given), sorted."""
        params = {"match[]": match} if match else {}
        if start is not None:
            params["start"] = f"{start:.3f}"
        if end is not None:
            params["end"] = f"{end:.3f}"
        data = await self._get(f"/api/v1/label/{quote(label, safe='')}/values", params)
        return [str(value) for value in data or []]

    async def targets(self) -> list[Target]:
        """The active scrape targets."""
        data = await self._get("/api/v1/targets", {"state": "active"})
        result = []
        for item in data.get("activeTargets", []):
            labels = item.get("labels", {})
            result.append(
                Target(
                    job=labels.get("job", item.get("scrapePool", "")),
                    instance=labels.get("instance", ""),
                    health=item.get("health", "unknown"),
                    last_error=item.get("lastError", ""),
                    last_scrape=parse_time(item.get("lastScrape")),
                    scrape_interval_s=parse_duration(item.get("scrapeInterval", "") or "0s"),
                    scrape_url=item.get("scrapeUrl", ""),
                    labels=dict(labels),
                )
            )
        return result

    async def alerts(self) -> list[ActiveAlert]:
        """Alerts that are pending or firing right now."""
        data = await self._get("/api/v1/alerts")
        return [
            ActiveAlert(
                name=item.get("labels", {}).get("alertname", ""),
                state=item.get("state", ""),
                labels=dict(item.get("labels", {})),
                active_at=parse_time(item.get("activeAt")),
            )
            for item in data.get("alerts", [])
        ]

    async def rules(self, kind: str | None = None) -> list[Rule]:
        """The loaded rules; ``kind`` is ``alert`` or ``record`` to filter."""
        data = await self._get("/api/v1/rules", {"type": kind} if kind else None)
        return [
            Rule(
                name=str(rule.get("name", "")),
                kind="alert" if rule.get("type") == "alerting" else "record",
                group=str(group.get("name", "")),
                query=str(rule.get("query", "")),
                for_s=float(rule.get("duration") or 0.0),
                health=str(rule.get("health", "")),
                last_error=str(rule.get("lastError", "")),
            )
            for group in data.get("groups", [])
            for rule in group.get("rules", [])
        ]

    async def alert_rules(self) -> dict[str, float]:
        """The alerting rules Prometheus has loaded: name → ``for`` duration in seconds."""
        return {rule.name: rule.for_s for rule in await self.rules("alert")}

    async def config(self) -> str:
        """The configuration Prometheus is running (YAML text)."""
        data = await self._get("/api/v1/status/config")
        return str(data.get("yaml", ""))

    async def metadata(self, metric: str | None = None) -> dict[str, list[dict[str, str]]]:
        """Metric metadata (type, help, unit) from the targets' ``# HELP``/``# TYPE`` lines.

        Prometheus keeps it for families a target declares even when they have no samples yet.
        """
        data = await self._get("/api/v1/metadata", {"metric": metric} if metric else None)
        if not isinstance(data, dict):
            return {}
        return {
            str(name): [{str(k): str(v) for k, v in entry.items()} for entry in entries or []]
            for name, entries in data.items()
        }

    async def ready(self) -> bool:
        """True when ``/-/ready`` answers 200."""
        try:
            response = await self._client.get(f"{self.base_url}/-/ready", timeout=self._timeout)
        except httpx.HTTPError:
            return False
        return response.status_code == 200
