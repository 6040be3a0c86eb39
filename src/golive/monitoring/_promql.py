"""The series selectors of a PromQL expression, read by a real PromQL parser.

``promql-parser`` (Python bindings of GreptimeTeam's Rust parser, compatible with Prometheus
2.45's PromQL) builds the syntax tree, so strings, label matchers, functions, ``by`` /
``without``, ``offset``, ``@`` and subqueries are read as Prometheus reads them. A selector is
kept without its range, offset and ``@`` modifier: what it selects is the question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import promql_parser

from golive.monitoring.base import MonitoringError

# The binding's MatchOp is not hashable: matched by comparison, not by a dict.
_OPS = (
    (promql_parser.MatchOp.Equal, "="),
    (promql_parser.MatchOp.NotEqual, "!="),
    (promql_parser.MatchOp.Re, "=~"),
    (promql_parser.MatchOp.NotRe, "!~"),
)

#: Series Prometheus makes itself from alert state: present only while an alert is active.
ALERT_STATE_SERIES = frozenset({"ALERTS", "ALERTS_FOR_STATE"})

#: Series Prometheus writes for every scrape target: never in a service's own exposition.
SCRAPE_SERIES = frozenset(
    {
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    }
)


class PromQLError(MonitoringError):
    """An expression the parser cannot read."""


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@dataclass(frozen=True, kw_only=True)
class LabelMatcher:
    """One label matcher: ``name op "value"``."""

    name: str
    op: str
    value: str

    def matches(self, value: str) -> bool:
        """Whether a label value (``""`` for an absent label) satisfies the matcher.

        Regular expressions are anchored at both ends, as in Prometheus.
        """
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        try:
            hit = re.fullmatch(self.value, value, re.DOTALL) is not None
        except re.error:
            return False
        return hit if self.op == "=~" else not hit

    @property
    def matches_empty(self) -> bool:
        """Whether the matcher also selects series without the label (``x=""``, ``x!~".+"``)."""
        return self.matches("")

    def __str__(self) -> str:
        return f"{self.name}{self.op}{_quote(self.value)}"


@dataclass(frozen=True, kw_only=True)
class Selector:
    """A vector selector as written in a rule: a metric name and label matchers."""

    metric: str | None
    matchers: tuple[LabelMatcher, ...]

    @property
    def text(self) -> str:
        """The selector in PromQL (no range, offset or ``@``), e.g. ``up{job="api"}``."""
        inner = ",".join(str(m) for m in self.matchers)
        if self.metric is None:
            return "{" + inner + "}"
        return self.metric + ("{" + inner + "}" if inner else "")

    @property
    def name_part(self) -> Selector:
        """The selector of the metric alone: its name and any ``__name__`` matchers."""
        return Selector(metric=self.metric, matchers=tuple(m for m in self.matchers if m.name == "__name__"))

    @property
    def label_matchers(self) -> tuple[LabelMatcher, ...]:
        """The matchers on labels other than the metric name."""
        return tuple(m for m in self.matchers if m.name != "__name__")

    def selects(self, labels: dict[str, str]) -> bool:
        """Whether a series (its labels, ``__name__`` included) is selected."""
        if self.metric is not None and labels.get("__name__") != self.metric:
            return False
        return all(m.matches(labels.get(m.name, "")) for m in self.matchers)


def _op(op: promql_parser.MatchOp) -> str:
    return next(text for known, text in _OPS if op == known)


def _selector(node: promql_parser.VectorSelector) -> Selector:
    matchers = tuple(LabelMatcher(name=m.name, op=_op(m.op), value=m.value) for m in node.matchers.matchers)
    return Selector(metric=node.name or None, matchers=matchers)


def parse_selectors(expr: str) -> tuple[Selector, ...]:
    """Every distinct vector selector of ``expr``, in order; PromQLError when it does not parse."""
    try:
        tree = promql_parser.parse(expr)
    except (ValueError, RuntimeError) as exc:
        raise PromQLError(f"cannot parse PromQL: {exc}") from None
    found: dict[str, Selector] = {}

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            selector = _selector(node)
            found.setdefault(selector.text, selector)

    promql_parser.walk(tree, visit)
    return tuple(found.values())


def metric_names(selectors: Iterable[Selector]) -> set[str]:
    """The metric names the selectors name (selectors by ``__name__`` regex give none)."""
    return {s.metric for s in selectors if s.metric}
