"""Sample the service's resources while load runs: CPU, memory and named /metrics gauges.

Two sources, both optional: the service's Prometheus ``/metrics`` (``process_cpu_seconds_total``,
``process_resident_memory_bytes`` and any metric the spec names, e.g. DB pool connections or
event lag), and, for a service on this machine, its process found by listening port (psutil).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import psutil  # type: ignore[import-untyped]
from prometheus_client.parser import text_string_to_metric_families

from golive.kit.guards import is_loopback


@dataclass(frozen=True, kw_only=True)
class ResourceSpec:
    """A resource to watch: a /metrics metric (summed over matching series) and its limit."""

    name: str
    metric: str
    labels: tuple[tuple[str, str], ...] = ()
    limit: float | None = None
    unit: str = ""
    counter: bool = False
    """A counter (e.g. busy seconds): its per-second rate is sampled instead of its value."""


@dataclass(frozen=True, kw_only=True)
class ResourceSeries:
    """Samples of one resource over time."""

    name: str
    unit: str
    limit: float | None
    points: tuple[tuple[float, float], ...]

    def mean(self, start: float, end: float) -> float | None:
        """Mean of the samples in ``[start, end]``."""
        values = [v for t, v in self.points if start <= t <= end]
        return sum(values) / len(values) if values else None

    def peak(self, start: float, end: float) -> float | None:
        """Highest sample in ``[start, end]``."""
        values = [v for t, v in self.points if start <= t <= end]
        return max(values) if values else None

    def utilisation(self, start: float, end: float) -> float | None:
        """Peak over limit in the window, when there is a limit."""
        peak = self.peak(start, end)
        if peak is None or not self.limit:
            return None
        return peak / self.limit


def _process_on_port(port: int) -> psutil.Process | None:
    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return psutil.Process(conn.pid)
    return None


def _parse(text: str, wanted: Sequence[ResourceSpec]) -> dict[str, float]:
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "process_cpu_seconds_total":
                out["_cpu_seconds"] = sample.value
            elif sample.name == "process_resident_memory_bytes":
                out["_rss"] = sample.value
            for spec in wanted:
                if sample.name == spec.metric and all(sample.labels.get(k) == v for k, v in spec.labels):
                    out[spec.name] = out.get(spec.name, 0.0) + sample.value
    return out


class ResourceSampler:
    """Samples once per ``interval`` until stopped; never fails the check it serves."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        base_url: str,
        metrics_url: str | None,
        specs: Sequence[ResourceSpec] = (),
        cpu_limit: float | None = 1.0,
        memory_limit: float | None = None,
        interval: float = 1.0,
    ) -> None:
        """Watch the service at ``base_url`` (its process, if local) and ``metrics_url``."""
        self.http = http
        self.metrics_url = metrics_url
        self.specs = tuple(specs)
        self.cpu_limit = cpu_limit
        self.memory_limit = memory_limit
        self.interval = interval
        parts = urlsplit(base_url)
        self.process: psutil.Process | None = None
        if parts.hostname and is_loopback(parts.hostname):
            self.process = _process_on_port(parts.port or (443 if parts.scheme == "https" else 80))
        self.points: dict[str, list[tuple[float, float]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._last_cpu: tuple[float, float] | None = None
        self._last_counter: dict[str, tuple[float, float]] = {}

    def _add(self, name: str, t: float, value: float) -> None:
        self.points.setdefault(name, []).append((t, value))

    def _proc_cpu_seconds(self) -> float | None:
        if self.process is None:
            return None
        with contextlib.suppress(psutil.Error):
            procs = [self.process, *self.process.children(recursive=True)]
            total = 0.0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    times = p.cpu_times()
                    total += times.user + times.system
            return total
        return None

    def _proc_rss(self) -> float | None:
        if self.process is None:
            return None
        with contextlib.suppress(psutil.Error):
            total = 0.0
            for p in [self.process, *self.process.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            return total
        return None

    async def sample(self) -> None:
        """Take one sample of every source."""
        now = time.time()
        scraped: dict[str, float] = {}
        if self.metrics_url:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                resp = await self.http.get(self.metrics_url, timeout=2.0)
                if resp.status_code == 200:
                    scraped = _parse(resp.text, self.specs)
        cpu_seconds = self._proc_cpu_seconds()
        if cpu_seconds is None:
            cpu_seconds = scraped.get("_cpu_seconds")
        if cpu_seconds is not None:
            if self._last_cpu is not None and now > self._last_cpu[0]:
                self._add("cpu", now, max(0.0, (cpu_seconds - self._last_cpu[1]) / (now - self._last_cpu[0])))
            self._last_cpu = (now, cpu_seconds)
        rss = self._proc_rss()
        if rss is None:
            rss = scraped.get("_rss")
        if rss is not None:
            self._add("memory", now, rss)
        for spec in self.specs:
            if spec.name not in scraped:
                continue
            value = scraped[spec.name]
            if not spec.counter:
                self._add(spec.name, now, value)
                continue
            last = self._last_counter.get(spec.name)
            if last is not None and now > last[0]:
                self._add(spec.name, now, max(0.0, (value - last[1]) / (now - last[0])))
            self._last_counter[spec.name] = (now, value)

    async def _loop(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(self.interval)

    async def __aenter__(self) -> ResourceSampler:
        """Start sampling."""
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def series(self) -> tuple[ResourceSeries, ...]:
        """Everything sampled, one series per resource."""
        units: Mapping[str, tuple[str, float | None]] = {
            "cpu": ("cores", self.cpu_limit),
            "memory": ("bytes", self.memory_limit),
            **{s.name: (s.unit, s.limit) for s in self.specs},
        }
        return tuple(
            ResourceSeries(
                name=name,
                unit=units.get(name, ("", None))[0],
                limit=units.get(name, ("", None))[1],
                points=tuple(points),
            )
            for name, points in self.points.items()
        )
