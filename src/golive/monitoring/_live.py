"""``prometheus.targets`` and ``prometheus.query``: questions put to the live Prometheus."""

from __future__ import annotations

import asyncio
import math
import operator
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import Findings, error
from golive.kit.prometheus import PrometheusClient, PrometheusError, Sample, Target
from golive.kit.text import excerpt
from golive.monitoring._params import PrometheusQueryParams, PrometheusTargetsParams
from golive.monitoring._query_wait import no_data_summary, query_until_data
from golive.monitoring._support import findings_outcome, prometheus
from golive.results import Evidence, Measurement, Outcome, Status

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


class PrometheusTargetsCheck:
    """Every target of every expected job is up and was scraped recently."""

    name: ClassVar[str] = "prometheus.targets"
    description: ClassVar[str] = (
        "On the live Prometheus, every expected job has all targets up, scraped within the last 2 "
        "intervals, and each scrape returned samples."
    )
    Params: ClassVar[type[PrometheusTargetsParams]] = PrometheusTargetsParams

    async def run(self, params: PrometheusTargetsParams, ctx: CheckContext) -> Outcome:
        """Read the active targets (after letting a fresh Prometheus discover them)."""
        api = prometheus(ctx, self.name)
        try:
            targets = await _settled_targets(api, params)
            empty = await _empty_targets(api, params)
        except PrometheusError as exc:
            raise CheckError(str(exc)) from None
        found, lines, up, total = _judge_targets(targets, params, empty)
        found.measure("targets_up", up, target=f"= {total}")
        return findings_outcome(
            found,
            passed=f"{up}/{total} targets of {len(params.jobs)} job(s) up, fresh and exposing samples",
            reproducer=api.reproducer("targets?state=active"),
            extra_evidence="\n".join(lines),
        )


async def _settled_targets(api: PrometheusClient, params: PrometheusTargetsParams) -> list[Target]:
    """The targets, once every job is discovered and scraped once or ``settle`` has passed."""
    deadline = time.monotonic() + params.settle
    while True:
        targets = await api.targets()
        pending = any(not any(t.job == job for t in targets) for job in params.jobs) or any(
            t.job in params.jobs and (t.health == "unknown" or t.last_scrape is None) for t in targets
        )
        if not pending or time.monotonic() >= deadline:
            return targets
        await asyncio.sleep(0.5)


async def _empty_targets(api: PrometheusClient, params: PrometheusTargetsParams) -> set[tuple[str, str]]:
    """(job, instance) of targets whose last scrape returned no sample: up, but exposing nothing."""
    samples = await api.query("scrape_samples_scraped")
    return {
        (s.labels.get("job", ""), s.labels.get("instance", ""))
        for s in samples
        if s.labels.get("job") in params.jobs and s.value == 0
    }


def _judge_targets(
    targets: list[Target], params: PrometheusTargetsParams, empty: set[tuple[str, str]]
) -> tuple[Findings, list[str], int, int]:
    """Problems, one evidence line per target, targets up and fresh, targets expected."""
    now = datetime.now(UTC)
    found = Findings()
    up = total = 0
    lines = []
    jobs_seen = sorted({t.job for t in targets})
    for job in params.jobs:
        mine = [t for t in targets if t.job == job]
        if not mine:
            found.problem(f"job {job!r} has no target in Prometheus (jobs: {', '.join(jobs_seen) or 'none'})")
            continue
        for t in mine:
            total += 1
            age = (now - t.last_scrape).total_seconds() if t.last_scrape else math.inf
            limit = params.max_staleness * (t.scrape_interval_s or 60.0)
            lines.append(f"{job} {t.instance}: {t.health}, last scrape {age:.1f}s ago")
            if t.health != "up":
                found.problem(f"{job} target {t.instance} is {t.health}: {t.last_error or 'no error text'}")
            elif (job, t.instance) in empty:
                found.problem(f"{job} target {t.instance} is up but its last scrape returned no sample")
            elif age > limit:
                found.problem(
                    f"{job} target {t.instance} last scraped {age:.0f}s ago "
                    f"(> {params.max_staleness:g} intervals = {limit:g}s)"
                )
            else:
                up += 1
    return found, lines, up, total


class PrometheusQueryCheck:
    """A PromQL expression on the live Prometheus compared with a threshold or objective."""

    name: ClassVar[str] = "prometheus.query"
    description: ClassVar[str] = (
        "Evaluate PromQL on the live Prometheus and compare every series with a threshold or "
        "an objective; an empty result is no-data."
    )
    Params: ClassVar[type[PrometheusQueryParams]] = PrometheusQueryParams

    async def run(self, params: PrometheusQueryParams, ctx: CheckContext) -> Outcome:
        """Query and compare."""
        api = prometheus(ctx, self.name)
        query = ctx.resolve(params.query)
        threshold, target_name = _threshold(params, ctx)
        reproducer = api.reproducer("query", query)
        try:
            # Bounded wait (with golive's own traffic when asked) for a service that just started.
            waited = await query_until_data(api, query, params, ctx)
        except PrometheusError as exc:
            return error(f"query failed: {exc} (query: {query})", reproducer=reproducer)
        samples = waited.samples
        # NaN is "no data"; ±Inf is a value (a quantile above every bucket) and is compared.
        usable = [s for s in samples if not math.isnan(s.value)]
        listing = "\n".join(s.describe() for s in samples)
        evidence = Evidence(excerpt=excerpt(f"query: {query}\n{listing or '(empty result)'}"))
        if not usable:
            return Outcome(
                status=Status.NO_DATA,
                summary=no_data_summary(query, samples, waited, params),
                measurements=waited.measurements(),
                evidence=evidence,
                reproducer=reproducer,
            )
        bad = [s for s in usable if not _OPS[params.op](s.value, threshold)]
        unit = f" {params.unit}" if params.unit else ""
        worst = (bad or usable)[0]
        if bad:
            status = Status.FAIL
            summary = (
                f"{len(bad)}/{len(usable)} series fail {params.op} {target_name}: "
                f"{worst.describe()}{unit} (query: {query})"
            )
        else:
            status = Status.PASS
            summary = f"{query} = {worst.value:g}{unit} {params.op} {target_name}" + (
                f" ({len(usable)} series)" if len(usable) > 1 else ""
            )
        return Outcome(
            status=status,
            summary=summary + waited.note,
            measurements=_series_measurements(usable, params, threshold) + waited.measurements(),
            evidence=evidence,
            reproducer=reproducer,
        )


def _threshold(params: PrometheusQueryParams, ctx: CheckContext) -> tuple[float, str]:
    """The number to compare with, and how to name it in the summary."""
    if params.objective is None:
        assert params.threshold is not None  # the params validator guarantees one of them
        return params.threshold, f"{params.threshold:g}"
    value = getattr(ctx.objectives, params.objective)
    if value is None:
        raise CheckError(f"the spec has no objectives.{params.objective}")
    return float(value), f"objectives.{params.objective} = {float(value):g}"


def _series_measurements(
    usable: list[Sample], params: PrometheusQueryParams, threshold: float
) -> tuple[Measurement, ...]:
    return tuple(
        Measurement(
            name=_series_name(s) or "value",
            value=s.value,
            unit=params.unit,
            target=f"{params.op} {threshold:g}",
        )
        for s in usable[:10]
    )


def _series_name(sample: Sample) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()) if k != "__name__")
