"""Latency histograms: the only place percentiles are computed.

Latencies are kept as counts per bucket (like Locust's ``response_times``), so percentiles of
any window or request name come from merged counts, never from averages of averages. Buckets
keep two to three significant digits, so a percentile is off by at most ~5%.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def bucket(ms: float) -> float:
    """The bucket a latency in milliseconds is counted in."""
    if ms < 10:
        return round(ms, 1)
    if ms < 100:
        return float(round(ms))
    if ms < 1000:
        return float(round(ms, -1))
    if ms < 10000:
        return float(round(ms, -2))
    return float(round(ms, -3))


@dataclass(frozen=True, kw_only=True)
class Histogram:
    """Latency counts per bucket, sorted by bucket (milliseconds)."""

    counts: tuple[tuple[float, int], ...] = ()

    @classmethod
    def of(cls, counts: Mapping[float, int] | Iterable[tuple[float, int]]) -> Histogram:
        """A histogram from bucket → count pairs (duplicates are added up)."""
        merged: dict[float, int] = {}
        items = counts.items() if isinstance(counts, Mapping) else counts
        for key, n in items:
            if n:
                k = float(key)
                merged[k] = merged.get(k, 0) + int(n)
        return cls(counts=tuple(sorted(merged.items())))

    @classmethod
    def merge(cls, histograms: Iterable[Histogram]) -> Histogram:
        """The sum of several histograms."""
        return cls.of(pair for h in histograms for pair in h.counts)

    @property
    def total(self) -> int:
        """Number of latencies counted."""
        return sum(n for _, n in self.counts)

    def percentile(self, p: float) -> float | None:
        """The nearest-rank ``p``-th percentile (0 < p <= 100) in ms; ``None`` when empty."""
        total = self.total
        if total == 0:
            return None
        rank = max(1, math.ceil(p / 100.0 * total))
        seen = 0
        for key, n in self.counts:
            seen += n
            if seen >= rank:
                return key
        return self.counts[-1][0]

    def mean(self) -> float | None:
        """The mean latency in ms (from the buckets); ``None`` when empty."""
        total = self.total
        if total == 0:
            return None
        return sum(k * n for k, n in self.counts) / total

    @property
    def max(self) -> float | None:
        """The highest bucket with a count."""
        return self.counts[-1][0] if self.counts else None
