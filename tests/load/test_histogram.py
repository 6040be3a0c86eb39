"""Percentiles come from merged histograms, never from averages."""

from __future__ import annotations

import pytest

from golive.load._histogram import Histogram, bucket


def test_bucket_keeps_two_to_three_significant_digits() -> None:
    assert bucket(0.44) == 0.4
    assert bucket(57.4) == 57.0
    assert bucket(314.0) == 310.0
    assert bucket(2345.0) == 2300.0
    assert bucket(12345.0) == 12000.0


def test_nearest_rank_percentiles() -> None:
    h = Histogram.of({float(ms): 1 for ms in range(1, 101)})
    assert h.total == 100
    assert h.percentile(50) == 50.0
    assert h.percentile(95) == 95.0
    assert h.percentile(99) == 99.0
    assert h.percentile(100) == 100.0
    assert h.max == 100.0


def test_merge_is_not_an_average_of_percentiles() -> None:
    fast = Histogram.of({10.0: 99})
    slow = Histogram.of({1000.0: 1})
    merged = Histogram.merge([fast, slow])
    # Averaging each side's p99 would give 505ms; the merged data has its p99 at 10ms.
    assert merged.percentile(99) == 10.0
    assert merged.percentile(100) == 1000.0
    assert merged.mean() == pytest.approx((99 * 10 + 1000) / 100)


def test_empty_histogram_has_no_percentiles() -> None:
    assert Histogram().percentile(95) is None
    assert Histogram().mean() is None
