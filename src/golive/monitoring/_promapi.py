"""A thin async client for the parts of the Prometheus HTTP API the checks use."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from golive.monitoring.base import MonitoringError


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
class Target:
    """One active scrape target."""

    job: str
    instance: str
    health: str
    last_error: str
    last_scrape: datetime | None
    scrape_interval_s: float
    scrape_url: str


@dataclass(frozen=True, kw_only=True)
class ActiveAlert:
    """An alert Prometheus currently holds (pending or firing)."""

    name: str
    state: str
    labels: Mapping[str, str]
    active_at: datetime | None


def _parse_time(text: str | None) -> datetime | None:
    if not text or text.startswith("0001-01-01"):
        return None
    # Go prints nanoseconds; Python's fromisoformat takes at most microseconds.
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _duration_s(text: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    total, number = 0.0, ""
    i = 0
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


class PrometheusAPI:
    """Queries a live Prometheus through an :class:`httpx.AsyncClient`."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, timeout: float = 10.0) -> None:
        self._client = client
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = await self._client.get(url, params=params, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise MonitoringError(f"Prometheus at {self.base_url} is unreachable: {exc!r}") from None
        try:
            body = response.json()
        except ValueError:
            raise MonitoringError(
                f"GET {url}: HTTP {response.status_code}, not a Prometheus API answer"
            ) from None
        if body.get("status") != "success":
            raise MonitoringError(
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
        raise MonitoringError(f"query returned a {kind}; use an instant vector expression")

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
                    last_scrape=_parse_time(item.get("lastScrape")),
                    scrape_interval_s=_duration_s(item.get("scrapeInterval", "") or "0s"),
                    scrape_url=item.get("scrapeUrl", ""),
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
                active_at=_parse_time(item.get("activeAt")),
            )
            for item in data.get("alerts", [])
        ]

    async def alert_rules(self) -> dict[str, float]:
        """The alerting rules Prometheus has loaded: name → ``for`` duration in seconds."""
        data = await self._get("/api/v1/rules", {"type": "alert"})
        return {
            str(rule.get("name")): float(rule.get("duration") or 0.0)
            for group in data.get("groups", [])
            for rule in group.get("rules", [])
        }

    async def ready(self) -> bool:
        """True when ``/-/ready`` answers 200."""
        try:
            response = await self._client.get(f"{self.base_url}/-/ready", timeout=self._timeout)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


def finite(samples: list[Sample]) -> list[Sample]:
    """The samples whose value is a number (NaN means "no data" for a judgement)."""
    return [s for s in samples if not math.isnan(s.value)]
