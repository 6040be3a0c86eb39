"""Judging one dashboard's panels on the live Prometheus, query by query.

A panel shows data when any of its queries returns a series (an empty target beside ones that
show data is reported, not failed, unless ``require_every_query``). A dashboard none of whose
queries returns anything has nothing to judge: ``no-data`` with the reason and the fix, never
a ``fail`` per panel. An unreachable Prometheus is the check's ``error``, raised once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from golive.kit.check import CheckError
from golive.kit.prometheus import PrometheusClient, PrometheusQueryError, PrometheusUnreachable
from golive.monitoring._dashboards import Dashboard, PanelQuery, Skipped
from golive.monitoring._grafana_board import BoardVariables
from golive.monitoring._params import GrafanaDashboardsParams

#: Queries asked of Prometheus at the same time.
_CONCURRENCY = 8


@dataclass(frozen=True, kw_only=True)
class Query:
    """One panel query as Grafana would send it."""

    query: PanelQuery
    expr: str
    uses: tuple[str, ...]
    undefined: tuple[str, ...]


@dataclass(kw_only=True)
class Answer:
    """What Prometheus (or promtool) said about one query."""

    status: str = "unjudged"  # data | empty | invalid | failed | unjudged
    series: int = 0
    detail: str = ""


@dataclass(kw_only=True)
class Board:
    """A dashboard ready to judge: its queries with variables substituted."""

    dashboard: Dashboard
    variables: BoardVariables
    queries: list[Query]
    skipped: list[Skipped]
    problems: list[str] = field(default_factory=list)
    intervals: str = ""


@dataclass(kw_only=True)
class Verdict:
    """One dashboard's problems, or why there was nothing to judge, with one line per query."""

    problems: list[str] = field(default_factory=list)
    no_data: str | None = None
    lines: list[str] = field(default_factory=list)
    panels: int = 0
    panels_with_data: int = 0
    empty_panels: int = 0
    queries_with_data: int = 0
    empty_queries: int = 0


async def evaluate(items: Sequence[Query], api: PrometheusClient) -> list[Answer]:
    """Run every query; PrometheusUnreachable becomes one CheckError for the whole check."""
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(item: Query) -> Answer:
        async with gate:
            try:
                samples = await api.query(item.expr)
            except PrometheusQueryError as exc:
                return Answer(status="failed", detail=str(exc))
        return Answer(status="data" if samples else "empty", series=len(samples))

    results = await asyncio.gather(*(one(i) for i in items), return_exceptions=True)
    for result in results:
        if isinstance(result, PrometheusUnreachable):
            raise CheckError(str(result)) from None
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, Answer)]


def _allowed(params: GrafanaDashboardsParams, query: PanelQuery) -> bool:
    return (
        query.panel_title in params.allow_empty or f"{query.panel_title}/{query.ref_id}" in params.allow_empty
    )


def _why_empty(item: Query, variables: BoardVariables) -> str:
    """A hint for an empty query: a variable without values, or several values under ``=``."""
    hints = [variables.empty[n] for n in item.uses if n in variables.empty]
    for name in item.uses:
        var = variables.resolved.get(name)
        if var is None or not var.multiple:
            continue
        pattern = rf'\w+\s*!?=\s*"[^"]*(\$\{{{name}\b|\${name}\b|\[\[{name}\b)'
        if re.search(pattern, item.query.expr):
            hints.append(
                f"${name} has several values ({var.describe()}) inside an = matcher, which matches "
                "nothing in Grafana too: use =~"
            )
    return f" ({'; '.join(hints)})" if hints else ""


def _line(item: Query, answer: Answer) -> str:
    state = {
        "data": f"data, {answer.series} series",
        "empty": "EMPTY",
        "invalid": "DOES NOT PARSE",
        "failed": "QUERY FAILS",
        "unjudged": "parsed",
    }[answer.status]
    return f"  [{state}] {item.query.label}: {item.expr}"


def _static_problems(board: Board, answers: Sequence[Answer], verdict: Verdict) -> None:
    where = board.dashboard.where
    for item, answer in zip(board.queries, answers, strict=True):
        label = item.query.label
        if item.undefined:
            names = ", ".join(f"${n}" for n in item.undefined)
            verdict.problems.append(f"{where}: {label} uses {names}, which the dashboard does not define")
        elif answer.status == "invalid":
            verdict.problems.append(
                f"{where}: {label} does not parse: {answer.detail}; query: {item.query.expr}"
            )
        elif answer.status == "failed":
            verdict.problems.append(f"{where}: {label} query fails: {answer.detail}; query: {item.expr}")


def judge(
    board: Board, answers: Sequence[Answer], params: GrafanaDashboardsParams, source: str | None
) -> Verdict:
    """Problems and per-query lines of one dashboard; ``source`` is None when data is not judged."""
    where = board.dashboard.where
    verdict = Verdict(problems=list(board.problems))
    verdict.lines.append(f"{where}:")
    if board.variables.resolved:
        verdict.lines.append(
            "  variables: " + "; ".join(v.describe() for v in board.variables.resolved.values())
        )
    if board.intervals:
        verdict.lines.append(f"  {board.intervals}")
    verdict.lines.extend(_line(i, a) for i, a in zip(board.queries, answers, strict=True))
    verdict.lines.extend(
        f"  [skipped: {s.reason}] panel {s.panel_title!r} ({s.ref_id})" for s in board.skipped
    )
    _static_problems(board, answers, verdict)
    if not board.queries:
        verdict.no_data = (
            f"{where} has no panel with a Prometheus query: nothing to judge (add panels, or take "
            "it out of files)"
        )
        return verdict
    if source is None:
        return verdict
    panels: dict[tuple[int | None, str], list[tuple[Query, Answer]]] = {}
    for item, answer in zip(board.queries, answers, strict=True):
        panels.setdefault((item.query.panel_id, item.query.panel_title), []).append((item, answer))
    verdict.panels = len(panels)
    verdict.queries_with_data = sum(a.status == "data" for a in answers)
    verdict.empty_queries = sum(a.status == "empty" for a in answers)
    if verdict.queries_with_data == 0 and verdict.empty_queries == len(answers):
        missing = "; ".join(board.variables.empty.values())
        verdict.no_data = (
            f"{where}: none of its {len(answers)} queries returns data on {source}"
            + (f" ({missing})" if missing else f" (e.g. {board.queries[0].expr})")
            + ": make sure Prometheus scrapes what the dashboard watches, set variables: to values "
            "that exist, or take it out of files"
        )
        return verdict
    for targets in panels.values():
        _judge_panel(targets, board, params, source, verdict)
    return verdict


def _judge_panel(
    targets: list[tuple[Query, Answer]],
    board: Board,
    params: GrafanaDashboardsParams,
    source: str,
    verdict: Verdict,
) -> None:
    where = board.dashboard.where
    empty = [(i, a) for i, a in targets if a.status == "empty"]
    shows = any(a.status == "data" for _, a in targets)
    verdict.panels_with_data += shows
    for item, _ in empty:
        exempt = _allowed(params, item.query)
        strict = params.require_every_query and shows
        if (shows and not strict) or exempt:
            continue
        verdict.problems.append(
            f"{where}: {item.query.label} is empty on {source}{_why_empty(item, board.variables)}; "
            f"query: {item.expr}"
        )
    if not shows and empty and any(not _allowed(params, i.query) for i, _ in empty):
        verdict.empty_panels += 1
