"""k6-style thresholds: ``p95 < 300ms``, ``error_rate < 1%``, ``rps >= 200``.

This module is shared with the load engine process, so it imports nothing from golive but
the histogram.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_EXPR = re.compile(
    r"^\s*(?P<metric>p\(?\d+(?:\.\d+)?\)?|avg|mean|max|min|error_rate|errors|rps|requests)\s*"
    r"(?P<op><=|<|>=|>|==)\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|%|rps|/s)?\s*$",
    re.IGNORECASE,
)
OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
LATENCY_UNITS = {"ms": 1.0, "s": 1000.0}


def default_min_samples(metric: str) -> int:
    """The fewest requests a threshold on ``metric`` is judged on.

    A percentile pN of fewer than ``ceil(100 / (100 - N))`` requests is simply the slowest of
    them (nearest rank), so p95 needs 20 and p99 needs 100; anything else needs one request.
    """
    if metric.startswith("p"):
        pct = float(metric[1:])
        if pct < 100:
            return max(1, math.ceil(round(100.0 / (100.0 - pct), 6)))
    return 1


def safe_count(needed: int) -> float:
    """The expected count ``n`` with ``n - 3 * sqrt(n) = needed``.

    Counts of requests are roughly Poisson: a plan expecting at least this many falls short of
    ``needed`` about once in a thousand runs, and a window that has this many holds ``needed``
    with the same margin (so a capacity step may end on it).
    """
    root = (3 + math.sqrt(9 + 4 * needed)) / 2
    return root * root


@dataclass(frozen=True, kw_only=True)
class Threshold:
    """One parsed threshold; latencies in ms, error rate in percent, throughput in req/s."""

    text: str
    metric: str
    op: str
    value: float
    request: str | None = None
    abort_on_fail: bool = False
    window_s: float = 3.0
    min_samples: int | None = None
    """Requests needed to judge it [default: :func:`default_min_samples` of the metric]."""

    @property
    def needed(self) -> int:
        """The fewest requests this threshold is judged on."""
        return self.min_samples if self.min_samples is not None else default_min_samples(self.metric)

    @property
    def enough(self) -> int:
        """Requests after which a window of this threshold needs no more: ``n - 3 * sqrt(n) >= needed``."""
        return math.ceil(round(safe_count(self.needed), 6))

    @property
    def label(self) -> str:
        """The threshold as written, with its request name when it has one."""
        return f"{self.text} [{self.request}]" if self.request else self.text

    def holds(self, measured: float | None) -> bool:
        """Whether a measured value satisfies the threshold (no data never satisfies it).

        Whether there were enough requests to judge it at all is :attr:`needed`'s business.
        """
        return measured is not None and OPS[self.op](measured, self.value)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form, for the engine process."""
        return {
            "text": self.text,
            "metric": self.metric,
            "op": self.op,
            "value": self.value,
            "request": self.request,
            "abort_on_fail": self.abort_on_fail,
            "window_s": self.window_s,
            "min_samples": self.min_samples,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Threshold:
        """Inverse of :meth:`as_dict`."""
        request = data.get("request")
        min_samples = data.get("min_samples")
        return cls(
            text=str(data["text"]),
            metric=str(data["metric"]),
            op=str(data["op"]),
            value=float(str(data["value"])),
            request=str(request) if request is not None else None,
            abort_on_fail=bool(data.get("abort_on_fail", False)),
            window_s=float(str(data.get("window_s", 3.0))),
            min_samples=int(str(min_samples)) if min_samples is not None else None,
        )


def parse_threshold(
    text: str,
    *,
    request: str | None = None,
    abort_on_fail: bool = False,
    window_s: float = 3.0,
    min_samples: int | None = None,
) -> Threshold:
    """Parse ``p95 < 300ms``; raise ValueError with a hint on anything else."""
    match = _EXPR.match(text)
    if not match:
        raise ValueError(
            f"invalid threshold {text!r}: write e.g. 'p95 < 300ms', 'p99 < 0.8s', "
            "'error_rate < 1%', 'rps >= 200' or 'max < 2s'"
        )
    metric = match["metric"].lower().replace("(", "").replace(")", "")
    metric = {"mean": "avg", "errors": "error_rate"}.get(metric, metric)
    unit = (match["unit"] or "").lower()
    value = float(match["value"])
    if metric.startswith("p"):
        pct = float(metric[1:])
        if not 0 < pct <= 100:
            raise ValueError(f"invalid threshold {text!r}: percentile must be in (0, 100]")
    if metric in ("error_rate",):
        if unit not in ("", "%"):
            raise ValueError(f"invalid threshold {text!r}: error_rate is in percent (e.g. 1%)")
    elif metric in ("rps", "requests"):
        if unit not in ("", "rps", "/s") or (metric == "requests" and unit):
            raise ValueError(f"invalid threshold {text!r}: rps is in requests per second")
    else:
        if unit not in ("", "ms", "s"):
            raise ValueError(f"invalid threshold {text!r}: latency needs ms or s")
        value *= LATENCY_UNITS.get(unit, 1.0)
    return Threshold(
        text=text.strip(),
        metric=metric,
        op=match["op"],
        value=value,
        request=request,
        abort_on_fail=abort_on_fail,
        window_s=window_s,
        min_samples=min_samples,
    )


def metric_value(
    metric: str,
    *,
    requests: int,
    failures: int,
    seconds: float,
    percentile: Callable[[float], float | None],
    mean: float | None,
    minimum: float | None,
    maximum: float | None,
) -> float | None:
    """The value of ``metric`` for one aggregate; ``None`` when there is no data for it."""
    if metric == "rps":
        return requests / seconds if seconds > 0 else None
    if metric == "requests":
        return float(requests)
    if metric == "error_rate":
        return 100.0 * failures / requests if requests else None
    if metric == "avg":
        return mean
    if metric == "max":
        return maximum
    if metric == "min":
        return minimum
    if metric.startswith("p"):
        return percentile(float(metric[1:]))
    raise ValueError(f"unknown metric {metric!r}")
