"""Verification of a new version: Flagger/Argo-style analysis, explained.

An analysis takes ``count`` measurements ``interval`` apart. Each measurement reads every
configured metric for the new version (and, for ``max_regression``, for the stable
baseline) and judges it against its thresholds; a measurement with a failed metric is a
failed measurement. More than ``failure_limit`` failed measurements fail the analysis (it
stops as soon as that is certain, so a bad version is caught early). Every reading is
logged with its value, threshold and query, and the verdict says how often each metric
failed ("success-rate 50.0% < 99% in 2 of 2 measurements").

Two providers: ``prometheus`` (PromQL against a Prometheus HTTP API; per-version series
picked by ``selector``) and ``probe`` (golive sends requests itself, to the new version
directly when the driver knows its address, and to the stable one for the baseline).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from golive.deploy.base import DeployError
from golive.deploy.config import Analysis, Metric
from golive.kit.prometheus import PrometheusClient, PrometheusQueryError, PrometheusUnreachable

DEFAULT_QUERIES = {
    "success-rate": (
        '100 * sum(rate(http_requests_total{$selector,status!~"5.."}[$window]))'
        " / sum(rate(http_requests_total{$selector}[$window]))"
    ),
    "latency-p95": (
        "1000 * histogram_quantile(0.95, sum by (le) "
        "(rate(http_request_duration_seconds_bucket{$selector}[$window])))"
    ),
    "saturation": "max(http_requests_in_flight{$selector})",
}
"""Built-in PromQL per metric name; ``$selector``, ``$window`` and ``$version`` are substituted."""

UNITS = {"success-rate": "%", "latency-p95": "ms", "saturation": ""}


def unit_of(metric: Metric) -> str:
    """The unit shown beside a metric's values."""
    if metric.unit is not None:
        return metric.unit
    return UNITS.get(metric.name, "")


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.1f}" if abs(value) < 1e6 else f"{value:.3g}"
    return f"{text}{unit}" if unit in ("%", "") else f"{text} {unit}"


@dataclass(frozen=True, kw_only=True)
class Reading:
    """One metric read once, with its verdict."""

    metric: str
    value: float | None
    unit: str
    passed: bool
    reason: str
    """Why it passed or failed, with numbers: ``success-rate 50.0% < 99%``."""
    query: str
    baseline: float | None = None

    @property
    def no_data(self) -> bool:
        """The provider returned nothing for this metric."""
        return self.value is None


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """All metrics read at one point of an analysis."""

    index: int
    elapsed_s: float
    readings: tuple[Reading, ...]

    @property
    def passed(self) -> bool:
        """Every metric passed."""
        return all(r.passed for r in self.readings)


@dataclass(frozen=True, kw_only=True)
class AnalysisResult:
    """The verdict of one analysis and every measurement behind it."""

    phase: str
    version: str
    baseline_version: str | None
    provider: str
    passed: bool
    measurements: tuple[Measurement, ...]
    failure_limit: int
    verdict: str
    """One line: what was expected, what was measured, how often it failed."""
    duration_s: float


@dataclass(frozen=True, kw_only=True)
class Target:
    """What an analysis looks at: versions, and addresses for the probe provider."""

    version: str
    url: str | None
    baseline_version: str | None = None
    baseline_url: str | None = None


class Provider(Protocol):
    """Reads metrics for one measurement."""

    name: str

    async def read(
        self, metrics: list[Metric], target: Target
    ) -> list[tuple[float | None, float | None, str]]:
        """For each metric: (value, baseline value, how it was measured)."""
        ...


def _substitute(query: str, selector: str, window: float, version: str) -> str:
    sel = selector.replace("$version", version)
    return (
        query.replace("$selector", sel)
        .replace("$window", f"{max(1, round(window))}s")
        .replace("$version", version)
    )


class PrometheusProvider:
    """Instant PromQL queries through :class:`~golive.kit.prometheus.PrometheusClient`."""

    name = "prometheus"

    def __init__(self, client: httpx.AsyncClient, url: str, analysis: Analysis) -> None:
        """``url`` is Prometheus' base URL; ``client`` is the run's HTTP client."""
        self.prometheus = PrometheusClient(client, url)
        self.analysis = analysis

    @property
    def url(self) -> str:
        """Prometheus' base URL."""
        return self.prometheus.base_url

    def query_for(self, metric: Metric, version: str) -> str:
        """The PromQL evaluated for ``metric`` of ``version``."""
        template = metric.query or DEFAULT_QUERIES[metric.name]
        return _substitute(template, self.analysis.selector, self.analysis.window, version)

    async def query(self, expr: str) -> float | None:
        """The single value of an instant query; ``None`` when it returns no (finite) data."""
        try:
            return await self.prometheus.query_value(expr)
        except PrometheusUnreachable as exc:
            raise DeployError(f"{exc} (query {expr!r})") from None
        except PrometheusQueryError as exc:
            raise DeployError(f"Prometheus at {self.url} could not evaluate {expr!r}: {exc}") from None

    async def read(
        self, metrics: list[Metric], target: Target
    ) -> list[tuple[float | None, float | None, str]]:
        """Query each metric for the new version and, when needed, the baseline."""
        out: list[tuple[float | None, float | None, str]] = []
        for m in metrics:
            expr = self.query_for(m, target.version)
            value = await self.query(expr)
            base: float | None = None
            if m.max_regression is not None and target.baseline_version:
                base = await self.query(self.query_for(m, target.baseline_version))
            out.append((value, base, expr))
        return out


class ProbeProvider:
    """golive's own HTTP requests: success rate and p95 latency, for the new and the old version."""

    name = "probe"

    def __init__(self, client: httpx.AsyncClient, analysis: Analysis) -> None:
        """Probes use ``analysis.probe`` (path, requests per measurement, timeout)."""
        self.client = client
        self.analysis = analysis

    async def probe(self, base_url: str) -> tuple[float | None, float | None, str]:
        """(success rate %, p95 ms, description) of ``requests`` GETs of the probe path."""
        probe = self.analysis.probe
        url = f"{base_url.rstrip('/')}/{probe.path.lstrip('/')}"
        ok, latencies = 0, []
        for _ in range(probe.requests):
            start = time.perf_counter()
            try:
                r = await self.client.get(url, timeout=probe.timeout)
                if r.status_code < 500:
                    ok += 1
            except httpx.HTTPError:
                pass
            latencies.append((time.perf_counter() - start) * 1000)
        latencies.sort()
        p95 = latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)]
        return 100.0 * ok / probe.requests, p95, f"{probe.requests} x GET {url}"

    async def read(
        self, metrics: list[Metric], target: Target
    ) -> list[tuple[float | None, float | None, str]]:
        """Probe the new version (and the baseline if a metric compares against it)."""
        if target.url is None:
            raise DeployError("the probe provider needs an address for the new version")
        new = await self.probe(target.url)
        base: tuple[float | None, float | None, str] | None = None
        if target.baseline_url and any(m.max_regression is not None for m in metrics):
            base = await self.probe(target.baseline_url)
        out: list[tuple[float | None, float | None, str]] = []
        for m in metrics:
            pick = 0 if m.name == "success-rate" else 1
            how = new[2] + (f" vs {base[2]}" if base else "")
            value = new[0] if pick == 0 else new[1]
            old = None if base is None else (base[0] if pick == 0 else base[1])
            out.append((value, old, how))
        return out


def judge(metric: Metric, value: float | None, baseline: float | None, query: str, no_data: str) -> Reading:
    """Compare one reading with the metric's thresholds and allowed regression."""
    unit = unit_of(metric)
    if value is None:
        passed = no_data == "pass"
        verdict = "counts as passed (no_data: pass)" if passed else "fails (no_data: fail)"
        return Reading(
            metric=metric.name,
            value=None,
            unit=unit,
            passed=passed,
            reason=f"{metric.name}: no data {verdict}",
            query=query,
            baseline=baseline,
        )
    shown = _fmt(value, unit)
    problems: list[str] = []
    if metric.min is not None and value < metric.min:
        problems.append(f"{metric.name} {shown} < {_fmt(metric.min, unit)}")
    if metric.max is not None and value > metric.max:
        problems.append(f"{metric.name} {shown} > {_fmt(metric.max, unit)}")
    if metric.max_regression is not None and baseline is not None:
        worse = (baseline - value) if metric.higher_is_better else (value - baseline)
        if worse > metric.max_regression:
            problems.append(
                f"{metric.name} {shown} is {_fmt(worse, unit)} worse than the baseline "
                f"{_fmt(baseline, unit)} (allowed {_fmt(metric.max_regression, unit)})"
            )
    if problems:
        return Reading(
            metric=metric.name,
            value=value,
            unit=unit,
            passed=False,
            reason="; ".join(problems),
            query=query,
            baseline=baseline,
        )
    bounds = []
    if metric.min is not None:
        bounds.append(f">= {_fmt(metric.min, unit)}")
    if metric.max is not None:
        bounds.append(f"<= {_fmt(metric.max, unit)}")
    if baseline is not None:
        bounds.append(f"baseline {_fmt(baseline, unit)}")
    return Reading(
        metric=metric.name,
        value=value,
        unit=unit,
        passed=True,
        reason=f"{metric.name} {shown} ok ({', '.join(bounds)})",
        query=query,
        baseline=baseline,
    )


async def run_analysis(
    analysis: Analysis,
    provider: Provider,
    target: Target,
    *,
    phase: str,
    log: Callable[[str], None],
) -> AnalysisResult:
    """Measure ``count`` times ``interval`` apart; fail once failures exceed ``failure_limit``."""
    start = time.monotonic()
    metrics = list(analysis.metrics)
    if analysis.initial_delay:
        log(f"[{phase}] analysis of {target.version}: waiting {analysis.initial_delay:g}s before measuring")
        await asyncio.sleep(analysis.initial_delay)
    measurements: list[Measurement] = []
    failures = 0
    for index in range(1, analysis.count + 1):
        raw = await provider.read(metrics, target)
        readings = tuple(
            judge(m, value, base, query, analysis.no_data)
            for m, (value, base, query) in zip(metrics, raw, strict=True)
        )
        m_ = Measurement(index=index, elapsed_s=time.monotonic() - start, readings=readings)
        measurements.append(m_)
        if not m_.passed:
            failures += 1
        for r in readings:
            mark = "ok  " if r.passed else "FAIL"
            log(f"[{phase}] measurement {index}/{analysis.count} {mark} {r.reason}  [query: {r.query}]")
        if failures > analysis.failure_limit:
            break
        if index < analysis.count:
            await asyncio.sleep(analysis.interval)
    passed = failures <= analysis.failure_limit
    verdict = _verdict(metrics, measurements, failures, analysis.failure_limit, target.version, passed)
    log(f"[{phase}] analysis {'PASSED' if passed else 'FAILED'}: {verdict}")
    return AnalysisResult(
        phase=phase,
        version=target.version,
        baseline_version=target.baseline_version,
        provider=provider.name,
        passed=passed,
        measurements=tuple(measurements),
        failure_limit=analysis.failure_limit,
        verdict=verdict,
        duration_s=time.monotonic() - start,
    )


def _verdict(
    metrics: list[Metric],
    measurements: list[Measurement],
    failures: int,
    limit: int,
    version: str,
    passed: bool,
) -> str:
    n = len(measurements)
    parts = []
    for m in metrics:
        failed = [r for ms in measurements for r in ms.readings if r.metric == m.name and not r.passed]
        if failed:
            parts.append(f"{failed[-1].reason} in {len(failed)} of {n} measurements")
    detail = "; ".join(parts) if parts else "every metric within its thresholds"
    head = f"{version}: {failures} of {n} measurements failed (failure limit {limit})"
    return f"{head}: {detail}" if not passed or parts else f"{head}; {detail}"
