"""A dashboard as Grafana opens it: its time range, the interval variables of each panel, and
its template variables resolved against the live Prometheus.

``$__interval`` is the dashboard's range divided by the panel's data points, rounded the way
Grafana rounds it, and never below the panel's min interval or the scrape interval;
``$__rate_interval`` is ``max($__interval + scrape, 4 × scrape)`` (Grafana's rule), with the
scrape interval read from Prometheus' own configuration, so a 60 s scrape gives ``4m``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from golive.kit.prometheus import PrometheusClient, PrometheusQueryError, Sample, parse_duration
from golive.monitoring import _grafana_vars as gv
from golive.monitoring._dashboards import Dashboard, PanelQuery, datasource_type

#: Grafana's ``roundInterval`` steps: (below this many ms, use this many ms).
_ROUND_STEPS = (
    (15, 10),
    (35, 20),
    (75, 50),
    (150, 100),
    (350, 200),
    (750, 500),
    (1500, 1000),
    (3500, 2000),
    (7500, 5000),
    (12500, 10000),
    (17500, 15000),
    (25000, 20000),
    (45000, 30000),
    (90000, 60000),
    (210000, 120000),
    (450000, 300000),
    (1050000, 600000),
    (2100000, 900000),
    (4500000, 1800000),
    (9000000, 3600000),
    (16200000, 7200000),
    (32400000, 10800000),
    (86400000, 43200000),
    (604800000, 86400000),
    (1814400000, 604800000),
    (3628800000, 2592000000),
)

_DEFAULT_RANGE_S = 6 * 3600.0


@dataclass(frozen=True, kw_only=True)
class Clock:
    """When the dashboard is opened and the data source's scrape interval."""

    end: float
    scrape_s: float


def round_interval(ms: float) -> float:
    """Grafana's ``roundInterval``: a raw interval (ms) to the nearest "nice" one (ms)."""
    for below, value in _ROUND_STEPS:
        if ms < below:
            return float(value)
    return 31536000000.0


def duration_text(seconds: float) -> str:
    """A PromQL duration: ``240s`` → ``4m``, ``21s``, ``1500ms``."""
    ms = round(seconds * 1000)
    if ms % 1000:
        return f"{ms}ms"
    whole = ms // 1000
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def range_seconds(text: str) -> float:
    """Seconds of a relative range: ``now-6h``, ``6h``, ``now-7d/d``, ``now/d`` (one day)."""
    match = re.fullmatch(r"(?:now-)?(\d+(?:\.\d+)?[smhdwy])(?:/[smhdwy])?", text.strip())
    if match:
        return parse_duration(match.group(1)) or _DEFAULT_RANGE_S
    match = re.fullmatch(r"now/([smhdwy])", text.strip())
    if match:
        return parse_duration("1" + match.group(1))
    return _DEFAULT_RANGE_S


def _min_interval(text: str) -> float:
    return parse_duration(text.lstrip(">").strip()) if text else 0.0


def builtins(board: Dashboard, query: PanelQuery | None, clock: Clock) -> dict[str, str]:
    """``$__interval``, ``$__rate_interval``, ``$__range`` (and their ``_ms``/``_s`` forms)."""
    range_s = range_seconds(query.time_from) if query and query.time_from else range_seconds(board.time_from)
    points = query.max_points if query else 900
    floor_s = max(_min_interval(query.min_interval) if query else 0.0, clock.scrape_s)
    interval_s = max(round_interval(range_s * 1000 / points) / 1000, floor_s)
    rate_s = max(interval_s + clock.scrape_s, 4 * clock.scrape_s)
    return {
        "__interval": duration_text(interval_s),
        "__interval_ms": str(round(interval_s * 1000)),
        "__rate_interval": duration_text(rate_s),
        "__rate_interval_ms": str(round(rate_s * 1000)),
        "__range": f"{round(range_s)}s",
        "__range_s": str(round(range_s)),
        "__range_ms": str(round(range_s * 1000)),
    }


@dataclass(kw_only=True)
class BoardVariables:
    """A dashboard's variables as resolved, and what went wrong resolving them."""

    resolved: dict[str, gv.Resolved] = field(default_factory=dict)
    #: Variables without any value: ``name → why`` (their panels cannot show data).
    empty: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def definition(variable: Mapping[str, Any]) -> str:
    """The query text of a variable (``query`` as a string, or ``query.query``)."""
    query = variable.get("query")
    if isinstance(query, dict):
        text = query.get("query")
        if not text and query.get("label"):
            metric = str(query.get("metric") or "")
            text = f"label_values({metric + ', ' if metric else ''}{query['label']})"
        return str(text or variable.get("definition") or "")
    return str(query if query is not None else variable.get("definition") or "")


def _sample_text(sample: Sample, now: float) -> str:
    labels = dict(sample.labels)
    name = labels.pop("__name__", "")
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    value = repr(sample.value).removesuffix(".0")
    return f"{name}{{{inner}}} {value} {round(now * 1000)}"


def _series_text(labels: Mapping[str, str]) -> str:
    rest = {k: v for k, v in labels.items() if k != "__name__"}
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(rest.items()))
    return f"{labels.get('__name__', '')}{{{inner}}}"


async def query_options(text: str, api: PrometheusClient, start: float, end: float) -> list[str]:
    """What Grafana's Prometheus variable query ``text`` returns (before regex and sort)."""
    text = text.strip()
    match = re.fullmatch(r"label_values\((?:(.+),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\)", text, re.DOTALL)
    if match:
        selector = match.group(1).strip() if match.group(1) else None
        return await api.label_values(match.group(2), match=selector, start=start, end=end)
    match = re.fullmatch(r"metrics\((.+)\)", text, re.DOTALL)
    if match:
        pattern = re.compile(match.group(1).strip())
        names = await api.label_values("__name__", start=start, end=end)
        return [n for n in names if pattern.search(n)]
    match = re.fullmatch(r"query_result\((.+)\)", text, re.DOTALL)
    if match:
        return [_sample_text(s, end) for s in await api.query(match.group(1))]
    if re.fullmatch(r"label_names\(.*\)", text, re.DOTALL):
        series = await api.series('{__name__=~".+"}', start=start, end=end)
        return sorted({k for s in series for k in s if k != "__name__"})
    return [_series_text(s) for s in await api.series(text, start=start, end=end)]


class _Resolver:
    """Resolves a dashboard's variables, each after the variables its query refers to."""

    def __init__(
        self, board: Dashboard, api: PrometheusClient | None, clock: Clock, overrides: Mapping[str, str]
    ) -> None:
        self.board, self.api, self.clock, self.overrides = board, api, clock, overrides
        self.by_name = {str(v.get("name", "")): v for v in board.variables}
        self.out = BoardVariables()
        self._visiting: set[str] = set()

    async def resolve(self, name: str) -> None:
        if name in self.out.resolved or name in self._visiting or name not in self.by_name:
            return
        self._visiting.add(name)
        variable = self.by_name[name]
        for dep in gv.references(definition(variable)):
            await self.resolve(dep)
        resolved = await self._one(variable)
        if resolved is not None:
            self.out.resolved[name] = resolved
            if not resolved.values and not (resolved.is_all and resolved.all_value is not None):
                self.out.empty.setdefault(name, f"${name} has no value")

    async def _one(self, variable: Mapping[str, Any]) -> gv.Resolved | None:
        name, kind = str(variable.get("name", "")), variable.get("type")
        override = self.overrides.get(name)
        if kind == "constant":
            return gv.select(variable, [str(variable.get("query", ""))], override, how="constant")
        if kind == "textbox":
            text = str(variable.get("query", ""))
            saved, _ = gv.saved_values(variable)
            return gv.select(variable, saved or [text], override, how="textbox")
        if kind == "custom":
            return gv.select(variable, gv.custom_options(definition(variable)), override, how="custom")
        if kind == "interval":
            return self._interval(variable, override)
        if kind == "query":
            return await self._query(variable, override)
        return None  # datasource, adhoc, groupby: not part of PromQL text

    def _interval(self, variable: Mapping[str, Any], override: str | None) -> gv.Resolved:
        options = gv.custom_options(definition(variable))
        saved, _ = gv.saved_values(variable)
        auto = bool(variable.get("auto")) or any(v == "auto" or v.startswith("$__auto") for v in saved)
        if auto:
            count = int(variable.get("auto_count") or 30)
            floor = parse_duration(str(variable.get("auto_min") or "10s"))
            raw = round_interval(range_seconds(self.board.time_from) * 1000 / count) / 1000
            auto_value = duration_text(max(raw, floor))
            saved = [auto_value if v == "auto" or v.startswith("$__auto") else v for v in saved]
            options = [auto_value, *options]
        return gv.select({**variable, "current": {"value": saved}}, options, override, how="interval")

    async def _query(self, variable: Mapping[str, Any], override: str | None) -> gv.Resolved:
        name = str(variable.get("name", ""))
        text = definition(variable)
        ds_kind = datasource_type(variable.get("datasource"), self.board)
        if self.api is None or (ds_kind not in (None, "prometheus")):
            saved, _ = gv.saved_values(variable)
            options = [str(o.get("value")) for o in variable.get("options") or [] if isinstance(o, dict)]
            options = [o for o in options if o not in (gv.ALL, "")] or saved or ["golive"]
            why = "not queried (no live Prometheus)" if self.api is None else f"{ds_kind} query, not run"
            return gv.select(variable, options, override, how=why)
        expanded = gv.interpolate(text, self.out.resolved, builtins(self.board, None, self.clock))
        start = self.clock.end - range_seconds(self.board.time_from)
        try:
            raw = await query_options(expanded, self.api, start, self.clock.end)
        except PrometheusQueryError as exc:
            self.out.empty[name] = f"${name}: its query {expanded} fails: {exc}"
            return gv.select(variable, [], override, how=f"query failed: {expanded}")
        options = gv.sort_values(gv.apply_regex(raw, str(variable.get("regex") or "")), variable.get("sort"))
        resolved = gv.select(variable, options, override, how=f"{expanded} on Prometheus")
        if not options and override is None:
            self.out.empty[name] = f"${name} has no values on Prometheus ({expanded})"
        return resolved


async def resolve_variables(
    board: Dashboard, api: PrometheusClient | None, clock: Clock, overrides: Mapping[str, str]
) -> BoardVariables:
    """Every template variable of ``board`` with the values the dashboard opens with."""
    resolver = _Resolver(board, api, clock, overrides)
    for name in resolver.by_name:
        await resolver.resolve(name)
    return resolver.out
