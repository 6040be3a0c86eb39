"""Do a rule's selectors watch anything? Every selector checked against series that exist.

Like pint's ``promql/series`` check: promtool unit tests prove a rule's logic on series the
test itself feeds, never that the service exposes them. Here every selector of every alerting
and recording rule is put to the live Prometheus of the environment (or, without one, to the
service's own ``/metrics``):

- a selector that matches series: fine;
- a metric no series has: the rule watches nothing (``fail``), unless the metric is declared
  ``failure_only`` (it appears only when something goes wrong) and an exposition declares it
  with ``# HELP``/``# TYPE`` lines;
- a metric that exists but has no label a matcher names, or no series with the matched value
  of a label the scrape sets (``job``, ``instance``, static target labels): ``fail``;
- a metric whose other label values are not seen yet (``status=~"5.."`` on a healthy
  service): accepted, and listed in the summary.

Series recorded by a rule of the same files are not looked up: their own rule's selectors are.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client.parser import text_string_to_metric_families

from golive.kit.outcomes import Findings
from golive.kit.prometheus import PrometheusClient
from golive.monitoring._promql import ALERT_STATE_SERIES, SCRAPE_SERIES, Selector, parse_selectors
from golive.monitoring._support import listing
from golive.monitoring.base import MonitoringError

#: Suffixes a family's samples carry beyond the name its ``# TYPE`` line gives.
_SAMPLE_SUFFIXES = ("_total", "_count", "_sum", "_bucket", "_created", "_info")
_DECLARATION = re.compile(r"^#\s+(?:HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)", re.MULTILINE)


@dataclass(frozen=True, kw_only=True)
class WatchedRule:
    """A rule whose selectors are checked."""

    where: str
    name: str
    kind: str
    expr: str


class SeriesSource(Protocol):
    """Where series are looked up: a live Prometheus, or a service's exposition."""

    @property
    def where(self) -> str:
        """What was asked, for messages (``Prometheus http://...``)."""
        ...

    #: Labels the scrape itself sets: a matched value no series has means a wrong target.
    target_labels: frozenset[str]
    #: Labels this source cannot see (an exposition has no ``job``/``instance``).
    unseen_labels: frozenset[str]
    #: Metric names this source cannot have (``up`` is never in an exposition).
    unseen_metrics: frozenset[str]

    async def series(self, selector: Selector) -> list[dict[str, str]]:
        """Label sets (``__name__`` included) of the series the selector matches."""
        ...

    async def declared(self, metric: str) -> bool:
        """Whether an exposition declares ``metric`` with ``# HELP``/``# TYPE`` lines."""
        ...

    async def settle(self) -> str:
        """Wait until a fresh source has seen every target once; a note on targets that are down."""
        ...


def declaration_names(metric: str) -> set[str]:
    """The names a ``# TYPE`` line may give a metric (``x_total`` is declared as ``x`` too)."""
    names = {metric}
    for suffix in _SAMPLE_SUFFIXES:
        if metric.endswith(suffix):
            names.add(metric[: -len(suffix)])
    return names


class PrometheusSeries:
    """Series and metadata of a live Prometheus, over the last ``lookback`` seconds."""

    unseen_labels: frozenset[str] = frozenset()
    unseen_metrics: frozenset[str] = frozenset()

    def __init__(self, api: PrometheusClient, *, lookback: float, settle: float) -> None:
        self.api = api
        self.lookback = lookback
        self.settle_s = settle
        self.target_labels: frozenset[str] = frozenset({"job", "instance"})
        self._metadata: frozenset[str] | None = None

    @property
    def where(self) -> str:
        """The Prometheus asked."""
        return f"Prometheus {self.api.base_url}"

    async def load_targets(self) -> None:
        """Read which labels the scrape sets (``job``, ``instance`` and static target labels)."""
        names = {k for t in await self.api.targets() for k in t.labels if not k.startswith("__")}
        self.target_labels = frozenset(names | {"job", "instance"})

    async def series(self, selector: Selector) -> list[dict[str, str]]:
        """The series API over the lookback window."""
        return await self.api.series(selector.text, start=time.time() - self.lookback)

    async def declared(self, metric: str) -> bool:
        """Prometheus' metadata of what its targets declared."""
        if self._metadata is None:
            self._metadata = frozenset(await self.api.metadata())
        return bool(declaration_names(metric) & self._metadata)

    async def settle(self) -> str:
        """Until every active target was scraped once, or ``settle`` seconds have passed."""
        self._metadata = None
        deadline = time.monotonic() + self.settle_s
        while True:
            targets = await self.api.targets()
            # No target at all yet: a fresh Prometheus discovers static targets within seconds.
            scraped = targets and all(t.last_scrape is not None for t in targets)
            if scraped or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.5)
        down = [
            f"{t.job} {t.instance}: {t.health} {t.last_error}".strip() for t in targets if t.health != "up"
        ]
        if not targets:
            return f"{self.where} has no active scrape target"
        return f"targets not up on {self.where}: {'; '.join(down)}" if down else ""


class ExpositionSeries:
    """The samples of one scrape of a service's metrics endpoint."""

    target_labels: frozenset[str] = frozenset()
    unseen_labels: frozenset[str] = frozenset({"job", "instance"})
    unseen_metrics: frozenset[str] = SCRAPE_SERIES

    def __init__(self, url: str, text: str) -> None:
        self.url = url
        self.declarations = set(_DECLARATION.findall(text))
        self.samples: list[dict[str, str]] = []
        try:
            for family in text_string_to_metric_families(text):
                self.samples.extend({**s.labels, "__name__": s.name} for s in family.samples)
        except ValueError as exc:
            raise MonitoringError(f"cannot parse the metrics exposition of {url}: {exc}") from None

    @property
    def where(self) -> str:
        """The exposition read."""
        return f"the exposition of {self.url}"

    async def series(self, selector: Selector) -> list[dict[str, str]]:
        """The samples the selector matches (matchers on labels the scrape adds are skipped)."""
        seen = Selector(
            metric=selector.metric,
            matchers=tuple(m for m in selector.matchers if m.name not in self.unseen_labels),
        )
        return [s for s in self.samples if seen.selects(s)]

    async def declared(self, metric: str) -> bool:
        """``# HELP``/``# TYPE`` lines of the exposition."""
        return bool(declaration_names(metric) & self.declarations)

    async def settle(self) -> str:
        """An exposition is read once: nothing to wait for."""
        return ""


@dataclass(frozen=True, kw_only=True)
class _Verdict:
    """What the source said about one selector."""

    status: str  # "match", "pending", "declared", "missing"
    reason: str = ""


@dataclass(kw_only=True)
class SeriesReport:
    """Problems, and what was verified, for the summary."""

    where: str
    found: Findings = field(default_factory=Findings)
    selectors: int = 0
    matched: int = 0
    pending: list[str] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    derived: int = 0
    unseen: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What the check verified about the selectors, in one clause."""
        text = f"{self.matched}/{self.selectors} selector(s) match series on {self.where}"
        if self.declared:
            text += f"; failure-only, declared by # HELP/# TYPE: {listing(self.declared)}"
        if self.pending:
            text += f"; label values not seen yet (metric and labels exist): {listing(self.pending)}"
        if self.derived:
            text += f"; {self.derived} selector(s) of series recorded by these rules"
        if self.unseen:
            text += f"; not checkable there (Prometheus makes them): {listing(self.unseen)}"
        return text


async def _judge(selector: Selector, source: SeriesSource, failure_only: Collection[str]) -> _Verdict:
    if await source.series(selector):
        return _Verdict(status="match")
    base = selector.name_part
    shown = selector.metric or base.text
    named = await source.series(base) if base.metric or base.matchers else []
    if not named:
        if selector.metric and selector.metric in failure_only:
            if await source.declared(selector.metric):
                return _Verdict(status="declared")
            return _Verdict(
                status="missing",
                reason=f"{selector.metric} is declared failure_only, but no # HELP/# TYPE line "
                f"declares it on {source.where}",
            )
        what = (
            f"no series named {shown}"
            if base.metric or base.matchers
            else f"no series matches {selector.text}"
        )
        return _Verdict(status="missing", reason=f"{what} on {source.where}")
    labels = {k for s in named for k in s}
    for matcher in selector.label_matchers:
        if matcher.name in source.unseen_labels or matcher.matches_empty:
            continue
        if matcher.name not in labels:
            have = ", ".join(sorted(labels - {"__name__"})) or "none"
            return _Verdict(
                status="missing", reason=f"{shown} has no label {matcher.name!r} (its labels: {have})"
            )
        values = {s.get(matcher.name, "") for s in named}
        if matcher.name in source.target_labels and not any(matcher.matches(v) for v in values):
            return _Verdict(
                status="missing",
                reason=f"no {shown} series has {matcher} ({matcher.name}: {listing(sorted(values))})",
            )
    return _Verdict(status="pending")


def _selectors_of(rules: Sequence[WatchedRule]) -> list[tuple[Selector, ...]]:
    out: list[tuple[Selector, ...]] = []
    for rule in rules:
        try:
            out.append(parse_selectors(rule.expr))
        except MonitoringError as exc:
            raise MonitoringError(f"{rule.where}: {exc}") from None
    return out


async def verify_rules(
    rules: Sequence[WatchedRule], source: SeriesSource, failure_only: Collection[str]
) -> SeriesReport:
    """Check every selector of ``rules`` on ``source``; a rule that watches nothing is a problem."""
    report = SeriesReport(where=source.where)
    by_rule = _selectors_of(rules)
    recorded = {r.name for r in rules if r.kind == "record"}
    unique: dict[str, Selector] = {}
    derived: set[str] = set()
    unseen: set[str] = set()
    for selectors in by_rule:
        for s in selectors:
            if s.metric in recorded:
                derived.add(s.text)
            elif s.metric in source.unseen_metrics:
                unseen.add(s.metric)
            elif s.metric not in ALERT_STATE_SERIES:
                unique.setdefault(s.text, s)
    report.derived = len(derived)
    report.unseen = sorted(unseen)
    verdicts = {text: await _judge(s, source, failure_only) for text, s in unique.items()}
    if any(v.status == "missing" for v in verdicts.values()):
        # A Prometheus that just started may not have scraped every target yet.
        note = await source.settle()
        for text, verdict in list(verdicts.items()):
            if verdict.status == "missing":
                verdicts[text] = await _judge(unique[text], source, failure_only)
        if note and any(v.status == "missing" for v in verdicts.values()):
            report.found.note(note)
    report.selectors = len(unique)
    report.matched = sum(1 for v in verdicts.values() if v.status == "match")
    report.pending = [t for t, v in verdicts.items() if v.status == "pending"]
    report.declared = sorted({unique[t].metric or t for t, v in verdicts.items() if v.status == "declared"})
    _rule_problems(rules, by_rule, verdicts, report.found)
    report.found.measure("selectors", len(unique))
    report.found.measure("selectors_matching_series", report.matched, target=f"= {len(unique)}")
    return report


def _rule_problems(
    rules: Sequence[WatchedRule],
    by_rule: Sequence[tuple[Selector, ...]],
    verdicts: Mapping[str, _Verdict],
    found: Findings,
) -> None:
    """One problem per rule and missing selector, naming the alerts a recording rule feeds."""
    for rule, selectors in zip(rules, by_rule, strict=True):
        for selector in selectors:
            verdict = verdicts.get(selector.text)
            if verdict is None or verdict.status != "missing":
                continue
            fed = ""
            if rule.kind == "record":
                users = [
                    r.name
                    for r, sel in zip(rules, by_rule, strict=True)
                    if r.kind == "alert" and _uses(sel, rule.name)
                ]
                fed = f" (it feeds {', '.join(users)})" if users else ""
            found.problem(f"{rule.where} watches nothing: {selector.text}: {verdict.reason}{fed}")


def _uses(selectors: Sequence[Selector], metric: str) -> bool:
    return any(s.metric == metric for s in selectors)
