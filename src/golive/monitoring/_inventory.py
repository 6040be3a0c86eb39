"""What a service exposes on ``/metrics``: metric names, types and label names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from golive.monitoring.base import MonitoringError


@dataclass(frozen=True, kw_only=True)
class MetricInfo:
    """One metric family as exposed."""

    name: str
    kind: str
    labels: frozenset[str]
    buckets: tuple[float, ...] = ()
    samples: int = 0

    @property
    def sample_name(self) -> str:
        """The series name to query (``_total`` for counters)."""
        return f"{self.name}_total" if self.kind == "counter" else self.name


@dataclass(frozen=True, kw_only=True)
class Inventory:
    """All metric families of one exposition."""

    metrics: Mapping[str, MetricInfo]

    def get(self, sample_name: str) -> MetricInfo | None:
        """A family by the series name (``http_requests_total`` or ``http_requests``)."""
        if sample_name in self.metrics:
            return self.metrics[sample_name]
        if sample_name.endswith("_total"):
            return self.metrics.get(sample_name[: -len("_total")])
        return None

    def has(self, sample_name: str) -> bool:
        """Whether the series name is exposed."""
        return self.get(sample_name) is not None


def parse_exposition(text: str) -> Inventory:
    """Parse Prometheus text format into an inventory."""
    metrics: dict[str, MetricInfo] = {}
    try:
        for family in text_string_to_metric_families(text):
            labels: set[str] = set()
            buckets: set[float] = set()
            for sample in family.samples:
                labels |= set(sample.labels)
                if sample.name.endswith("_bucket") and "le" in sample.labels:
                    buckets.add(float(sample.labels["le"]))
            labels.discard("le")
            metrics[family.name] = MetricInfo(
                name=family.name,
                kind=family.type,
                labels=frozenset(labels),
                buckets=tuple(sorted(buckets)),
                samples=len(family.samples),
            )
    except ValueError as exc:
        raise MonitoringError(f"cannot parse the metrics exposition: {exc}") from None
    return Inventory(metrics=metrics)
