"""What the load engine is asked to do (:class:`LoadPlan`) and what it measured (:class:`LoadRun`).

Both cross a process boundary as JSON (see :mod:`golive.load._worker`); inside golive they are
frozen dataclasses. Measurements are kept per wall-clock second and per request name, with a
full latency histogram each, so any window (a capacity step, the last third of a soak) and any
request name can be aggregated exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from golive.load._histogram import Histogram
from golive.load._thresholds import Threshold, metric_value

TOTAL = "*"
"""The request name that stands for all requests together."""


@dataclass(frozen=True, kw_only=True)
class RequestSpec:
    """One weighted request of a declarative scenario."""

    name: str
    method: str = "GET"
    path: str = "/"
    weight: int = 1
    headers: tuple[tuple[str, str], ...] = ()
    json_body: Any = None
    expect_status: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AuthSpec:
    """A login each virtual user performs once before its first request."""

    method: str = "POST"
    path: str = "/auth/login"
    json_body: Any = None
    token_field: str = "access_token"
    header: str = "Authorization"
    prefix: str = "Bearer "
    register_path: str | None = None
    register_body: Any = None


@dataclass(frozen=True, kw_only=True)
class Stage:
    """A period of constant target concurrency."""

    users: int
    duration_s: float
    spawn_rate: float
    label: str = ""


@dataclass(frozen=True, kw_only=True)
class LoadPlan:
    """Everything the engine process needs; bounded in time and requests by construction."""

    host: str
    stages: tuple[Stage, ...]
    requests: tuple[RequestSpec, ...] = ()
    locustfile: str | None = None
    user_classes: tuple[str, ...] = ()
    auth: AuthSpec | None = None
    wait_min_s: float = 0.0
    wait_max_s: float = 0.0
    rate_per_user: float | None = None
    request_timeout_s: float = 10.0
    max_requests: int = 1_000_000
    abort: tuple[Threshold, ...] = ()
    stop_when: tuple[Threshold, ...] = ()
    settle_s: float = 0.0
    early_end_s: float | None = None
    """With ``stop_when``: a stage ends once every one of its thresholds has
    :attr:`~Threshold.enough` requests in at least this many whole seconds after ``settle_s``
    (``None``: every stage runs its full duration)."""
    workers: int = 0
    external_workers: int = 0
    master_bind: str = "127.0.0.1:0"

    @property
    def max_duration_s(self) -> float:
        """The longest the load may last: the sum of the stages."""
        return sum(s.duration_s for s in self.stages)

    def as_json(self) -> dict[str, Any]:
        """The JSON the engine process reads."""
        return {
            "host": self.host,
            "stages": [
                {"users": s.users, "duration_s": s.duration_s, "spawn_rate": s.spawn_rate, "label": s.label}
                for s in self.stages
            ],
            "requests": [
                {
                    "name": r.name,
                    "method": r.method,
                    "path": r.path,
                    "weight": r.weight,
                    "headers": dict(r.headers),
                    "json": r.json_body,
                    "expect_status": list(r.expect_status),
                }
                for r in self.requests
            ],
            "locustfile": self.locustfile,
            "user_classes": list(self.user_classes),
            "auth": None
            if self.auth is None
            else {
                "method": self.auth.method,
                "path": self.auth.path,
                "json": self.auth.json_body,
                "token_field": self.auth.token_field,
                "header": self.auth.header,
                "prefix": self.auth.prefix,
                "register_path": self.auth.register_path,
                "register_json": self.auth.register_body,
            },
            "wait": [self.wait_min_s, self.wait_max_s],
            "rate_per_user": self.rate_per_user,
            "request_timeout_s": self.request_timeout_s,
            "max_requests": self.max_requests,
            "abort": [t.as_dict() for t in self.abort],
            "stop_when": [t.as_dict() for t in self.stop_when],
            "settle_s": self.settle_s,
            "early_end_s": self.early_end_s,
            "workers": self.workers,
            "external_workers": self.external_workers,
            "master_bind": self.master_bind,
        }


@dataclass(frozen=True, kw_only=True)
class Bucket:
    """Requests of one name in one second (or merged over a window)."""

    requests: int = 0
    failures: int = 0
    histogram: Histogram = field(default_factory=Histogram)
    statuses: tuple[tuple[int, int], ...] = ()

    @classmethod
    def merge(cls, buckets: Iterable[Bucket]) -> Bucket:
        """The sum of several buckets."""
        items = list(buckets)
        statuses: dict[int, int] = {}
        for b in items:
            for code, n in b.statuses:
                statuses[code] = statuses.get(code, 0) + n
        return cls(
            requests=sum(b.requests for b in items),
            failures=sum(b.failures for b in items),
            histogram=Histogram.merge(b.histogram for b in items),
            statuses=tuple(sorted(statuses.items())),
        )

    def status_count(self, *codes: int) -> int:
        """How many responses had one of ``codes``."""
        return sum(n for code, n in self.statuses if code in codes)


@dataclass(frozen=True, kw_only=True)
class Stats:
    """Aggregates of a window, as reported and judged."""

    name: str
    requests: int
    failures: int
    seconds: float
    rps: float
    error_rate: float
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    max: float | None
    mean: float | None
    statuses: tuple[tuple[int, int], ...]
    bucket: Bucket

    @classmethod
    def of(cls, name: str, bucket: Bucket, seconds: float) -> Stats:
        """Aggregate a bucket observed over ``seconds``."""
        h = bucket.histogram
        return cls(
            name=name,
            requests=bucket.requests,
            failures=bucket.failures,
            seconds=seconds,
            rps=bucket.requests / seconds if seconds > 0 else 0.0,
            error_rate=100.0 * bucket.failures / bucket.requests if bucket.requests else 0.0,
            p50=h.percentile(50),
            p90=h.percentile(90),
            p95=h.percentile(95),
            p99=h.percentile(99),
            max=h.max,
            mean=h.mean(),
            statuses=bucket.statuses,
            bucket=bucket,
        )

    def value(self, metric: str) -> float | None:
        """The value of a threshold metric."""
        h = self.bucket.histogram
        return metric_value(
            metric,
            requests=self.requests,
            failures=self.failures,
            seconds=self.seconds,
            percentile=h.percentile,
            mean=self.mean,
            minimum=h.counts[0][0] if h.counts else None,
            maximum=self.max,
        )


@dataclass(frozen=True, kw_only=True)
class Second:
    """Everything measured in one wall-clock second."""

    t: int
    users: int
    by_name: tuple[tuple[str, Bucket], ...]

    @property
    def total(self) -> Bucket:
        """All requests of this second."""
        return Bucket.merge(b for _, b in self.by_name)


@dataclass(frozen=True, kw_only=True)
class StageMark:
    """When a stage ran (epoch seconds)."""

    label: str
    users: int
    start: float
    end: float
    ended_by: str = "duration"
    """``duration`` (it ran its full time), ``samples`` (it had enough requests to be judged,
    see :attr:`LoadPlan.early_end_s`), or why the run stopped in it (``abort``, ``max_requests``)."""


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """One threshold against a window: judged only on enough requests (``threshold.needed``)."""

    threshold: Threshold
    measured: float | None
    samples: int
    """Requests in the window (of the threshold's request name, or all)."""
    seconds: float
    """Length of the window."""

    @property
    def judged(self) -> bool:
        """Whether the window had enough requests to judge the threshold."""
        return self.measured is not None and self.samples >= self.threshold.needed

    @property
    def passed(self) -> bool:
        """Judged, and the measured value satisfies the threshold."""
        return self.judged and self.threshold.holds(self.measured)

    @property
    def breached(self) -> bool:
        """Judged, and the measured value misses the threshold: the only failing verdict."""
        return self.judged and not self.threshold.holds(self.measured)

    @property
    def status(self) -> str:
        """``pass``, ``fail`` (a measured miss) or ``no-data`` (too few requests to judge)."""
        return "no-data" if not self.judged else "pass" if self.passed else "fail"

    def shortfall(self, fix: str = "raise duration or users") -> str:
        """Why it was not judged and what to do: "request 'pay' had 0 samples in 30 s; ..."."""
        who = f"request {self.threshold.request!r}" if self.threshold.request else "the load"
        needs = self.threshold.needed
        need = f", {self.threshold.metric} needs at least {needs}" if needs > 1 and self.samples else ""
        span = f"{self.seconds:.0f}" if self.seconds >= 2 else f"{self.seconds:.1g}"
        return f"{who} had {self.samples} samples in {span} s{need}; {fix}"


@dataclass(frozen=True, kw_only=True)
class LoadRun:
    """What the engine measured."""

    started: float
    ended: float
    seconds: tuple[Second, ...]
    stages: tuple[StageMark, ...]
    stopped_by: str
    aborted_by: str | None = None
    errors: tuple[tuple[str, int], ...] = ()
    workers: int = 0

    @property
    def duration_s(self) -> float:
        """Wall time of the load."""
        return max(0.0, self.ended - self.started)

    @property
    def names(self) -> tuple[str, ...]:
        """Request names seen, in order of first appearance."""
        seen: dict[str, None] = {}
        for s in self.seconds:
            for name, _ in s.by_name:
                seen.setdefault(name, None)
        return tuple(seen)

    def window(self, start: float | None = None, end: float | None = None, name: str = TOTAL) -> Stats:
        """Aggregate of the whole run, or of the seconds in ``[start, end)``, for one name or all."""
        if start is None and end is None:
            first, last = -(2**62), 2**62
            seconds = max(self.duration_s, 1e-9)
        else:
            lo = self.started if start is None else start
            hi = self.ended if end is None else end
            # Data is binned per wall-clock second [t, t+1). A window takes the bins wholly inside
            # it, so neighbouring stages never bleed in; rates are per bin taken. A window without
            # a whole bin takes the one bin containing its middle.
            first, last = math.ceil(lo), math.floor(hi)
            if last <= first:
                first = math.floor((lo + hi) / 2)
                last = first + 1
            seconds = float(max(1, last - first))
        buckets: list[Bucket] = []
        for s in self.seconds:
            if first <= s.t < last:
                if name == TOTAL:
                    buckets.extend(b for _, b in s.by_name)
                else:
                    buckets.extend(b for n, b in s.by_name if n == name)
        return Stats.of(name, Bucket.merge(buckets), seconds)

    def stats(self, name: str = TOTAL) -> Stats:
        """Aggregate of the whole run."""
        return self.window(name=name)

    def judge(
        self, thresholds: Iterable[Threshold], start: float | None = None, end: float | None = None
    ) -> tuple[Verdict, ...]:
        """Every threshold against the window (or the whole run), with the requests it had."""
        out = []
        for t in thresholds:
            st = self.window(start, end, t.request or TOTAL)
            out.append(
                Verdict(threshold=t, measured=st.value(t.metric), samples=st.requests, seconds=st.seconds)
            )
        return tuple(out)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadRun:
        """Parse the engine process's output."""
        users = {int(k): int(v) for k, v in data.get("users", {}).items()}
        seconds = []
        for key in sorted(data.get("seconds", {}), key=int):
            names = data["seconds"][key]
            by_name = tuple(
                (
                    name,
                    Bucket(
                        requests=int(v[0]),
                        failures=int(v[1]),
                        histogram=Histogram.of((float(k), int(n)) for k, n in v[2].items()),
                        statuses=tuple(sorted((int(c), int(n)) for c, n in v[3].items())),
                    ),
                )
                for name, v in sorted(names.items())
            )
            seconds.append(Second(t=int(key), users=users.get(int(key), 0), by_name=by_name))
        return cls(
            started=float(data["started"]),
            ended=float(data["ended"]),
            seconds=tuple(seconds),
            stages=tuple(
                StageMark(
                    label=str(s["label"]),
                    users=int(s["users"]),
                    start=float(s["start"]),
                    end=float(s["end"]),
                    ended_by=str(s.get("ended_by", "duration")),
                )
                for s in data.get("stages", [])
            ),
            stopped_by=str(data.get("stopped_by", "")),
            aborted_by=data.get("aborted_by"),
            errors=tuple(
                sorted(((str(k), int(v)) for k, v in data.get("errors", {}).items()), key=lambda kv: -kv[1])
            ),
            workers=int(data.get("workers", 0)),
        )
