"""``grafana.dashboards``: dashboards are valid, query through the datasource variable, and
every panel's PromQL parses (Prometheus' own parser) and shows data on the live Prometheus.

Each query is judged as Grafana would send it: template variables take the values the
dashboard opens with (query variables asked of Prometheus), ``$__rate_interval`` follows the
scrape interval Prometheus runs with. The evidence has one line per query.
"""

from __future__ import annotations

import contextlib
import glob
import re
import tempfile
import time
from pathlib import Path
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError
from golive.kit.files import FileWriteError, atomic_write
from golive.kit.outcomes import Findings, no_data
from golive.kit.prometheus import (
    PrometheusClient,
    PrometheusUnreachable,
)
from golive.kit.text import excerpt
from golive.monitoring import _dashboards as dash
from golive.monitoring import _grafana_vars as gv
from golive.monitoring._dashboard_judge import Answer, Board, Query, Verdict, evaluate, judge
from golive.monitoring._grafana_board import Clock, builtins, duration_text, resolve_variables
from golive.monitoring._params import GrafanaDashboardsParams
from golive.monitoring._prom_config import DEFAULT_INTERVAL_S, global_intervals
from golive.monitoring._support import findings_outcome, first_error, prometheus, relative, tool, tool_output
from golive.monitoring._yaml import dump_yaml
from golive.monitoring.base import MonitoringError
from golive.results import Evidence, Outcome, Status


class GrafanaDashboardsCheck:
    """Dashboards are valid, use the datasource variable, parse, and show data."""

    name: ClassVar[str] = "grafana.dashboards"
    description: ClassVar[str] = (
        "Each dashboard JSON is valid with unique panel ids and the datasource variable; every "
        "panel query, with Grafana's variables substituted as Grafana would, parses and every "
        "panel shows data on the live Prometheus."
    )
    Params: ClassVar[type[GrafanaDashboardsParams]] = GrafanaDashboardsParams

    async def run(self, params: GrafanaDashboardsParams, ctx: CheckContext) -> Outcome:
        """Read each dashboard, resolve its variables, parse every query, evaluate them."""
        files, mistake = dashboard_files(params.files, ctx)
        if mistake:
            return no_data(mistake)
        if not files:
            return Outcome(status=Status.FAIL, summary=f"no dashboard matches {', '.join(params.files)}")
        api = prometheus(ctx, self.name) if params.require_data else None
        clock, scrape_note = await _clock(api, params)
        found = Findings()
        boards: list[Board] = []
        for path in files:
            try:
                boards.append(await _prepare(path, params, api, clock, scrape_note))
            except MonitoringError as exc:
                found.problem(str(exc))
        answers = await _answers(boards, ctx, api)
        verdicts = [
            judge(b, a, params, api.base_url if api else None) for b, a in zip(boards, answers, strict=True)
        ]
        return _outcome(found, verdicts, boards, ctx, api)


def dashboard_files(patterns: list[str], ctx: CheckContext) -> tuple[list[Path], str]:
    """The dashboard files the patterns name, or the spec mistake (a directory) to report."""
    files: dict[Path, None] = {}
    for pattern in patterns:
        resolved = ctx.resolve(pattern)
        full = resolved if Path(resolved).is_absolute() else str(ctx.workdir / resolved)
        for match in sorted(glob.glob(full, recursive=True)):
            path = Path(match)
            if path.is_dir():
                if glob.has_magic(resolved):
                    continue  # a glob that also matches folders: their files are not asked for
                shown = relative(path, ctx.workdir)
                held = sorted(p.name for p in path.glob("*.json"))
                inside = f" (it holds {', '.join(held[:5])}{' …' if len(held) > 5 else ''})" if held else ""
                return [], (
                    f"`files` names the directory {shown}, not dashboard files{inside}: list the "
                    f"files, e.g. `files: [{shown}/*.json]`"
                )
            files.setdefault(path, None)
    return list(files), ""


async def _clock(api: PrometheusClient | None, params: GrafanaDashboardsParams) -> tuple[Clock, str]:
    """Now, and the scrape interval ``$__rate_interval`` is computed from (with its source)."""
    now = time.time()
    if params.scrape_interval is not None:
        return Clock(end=now, scrape_s=params.scrape_interval), "scrape_interval from the spec"
    if api is None:
        return Clock(end=now, scrape_s=DEFAULT_INTERVAL_S), "Prometheus' default scrape interval"
    try:
        intervals = await global_intervals(api)
    except PrometheusUnreachable as exc:
        raise CheckError(str(exc)) from None
    return Clock(end=now, scrape_s=intervals.scrape_s), intervals.source


async def _prepare(
    path: Path, params: GrafanaDashboardsParams, api: PrometheusClient | None, clock: Clock, scrape_note: str
) -> Board:
    """Load a dashboard, check its structure, resolve its variables, substitute its queries."""
    board = dash.load_dashboard(path)
    where = board.where
    problems = [f"{where}: panel id {pid} is used more than once" for pid in dash.duplicate_ids(board)]
    panel_queries, skipped = dash.queries(board)
    allowed = dash.datasource_variables(board)
    if params.require_datasource_variable:
        if not allowed and panel_queries:
            problems.append(f"{where}: no datasource variable (templating type 'datasource') or input")
        for q in panel_queries if allowed else []:
            why = dash.datasource_problem(q, allowed)
            if why:
                problems.append(f"{where}: panel {q.panel_title!r} {why}")
    variables = await resolve_variables(board, api, clock, params.variables)
    defined = {str(v.get("name", "")) for v in board.variables}
    items = []
    for q in panel_queries:
        values = builtins(board, q, clock)
        refs = gv.references(q.expr)
        items.append(
            Query(
                query=q,
                expr=gv.interpolate(q.expr, variables.resolved, values),
                uses=tuple(n for n in refs if n in variables.resolved),
                undefined=tuple(n for n in refs if n not in defined and n not in values and not n.isdigit()),
            )
        )
    first = builtins(board, panel_queries[0] if panel_queries else None, clock)
    intervals = (
        f"scrape interval {duration_text(clock.scrape_s)} ({scrape_note}); "
        + (f"{panel_queries[0].label}: " if panel_queries else "")
        + f"$__rate_interval={first['__rate_interval']}, $__interval={first['__interval']}, "
        f"$__range={first['__range']}"
    )
    return Board(
        dashboard=board,
        variables=variables,
        queries=items,
        skipped=skipped,
        problems=problems,
        intervals=intervals,
    )


async def _answers(
    boards: list[Board], ctx: CheckContext, api: PrometheusClient | None
) -> list[list[Answer]]:
    """Per dashboard, per query: promtool's parse result, then Prometheus' answer."""
    flat = [item for board in boards for item in board.queries]
    parse_errors = await _parse_promql([item.expr for item in flat], ctx)
    answers = [
        Answer(status="invalid", detail=parse_errors.get(i, ""))
        if i in parse_errors or item.undefined
        else Answer()
        for i, item in enumerate(flat)
    ]
    if api is not None:
        todo = [i for i, a in enumerate(answers) if a.status == "unjudged"]
        for i, answer in zip(todo, await evaluate([flat[i] for i in todo], api), strict=True):
            answers[i] = answer
    out, start = [], 0
    for board in boards:
        out.append(answers[start : start + len(board.queries)])
        start += len(board.queries)
    return out


def _outcome(
    found: Findings,
    verdicts: list[Verdict],
    boards: list[Board],
    ctx: CheckContext,
    api: PrometheusClient | None,
) -> Outcome:
    """FAIL on any problem, else NO-DATA when a dashboard had nothing to judge, else PASS."""
    for verdict in verdicts:
        found.problems.extend(verdict.problems)
    queries = sum(len(b.queries) for b in boards)
    panels = sum(v.panels for v in verdicts)
    with_data = sum(v.panels_with_data for v in verdicts)
    found.measure("dashboards", len(boards))
    found.measure("queries", queries)
    if api is not None:
        found.measure("panels_with_data", with_data, target=f"= {panels}")
        found.measure("queries_with_data", sum(v.queries_with_data for v in verdicts))
        found.measure("empty_queries", sum(v.empty_queries for v in verdicts))
        found.measure("empty_panels", sum(v.empty_panels for v in verdicts), target="= 0")
    lines = "\n".join(line for v in verdicts for line in v.lines)
    artifacts = _write_listing(ctx, lines)
    reproducer = f"golive review --only {ctx.criterion_id}"
    if found.problems:
        outcome = findings_outcome(found, passed="", reproducer=reproducer, extra_evidence=lines)
        return Outcome(
            status=outcome.status,
            summary=outcome.summary,
            measurements=outcome.measurements,
            evidence=Evidence(excerpt=outcome.evidence.excerpt, artifacts=artifacts),
            reproducer=reproducer,
        )
    evidence = Evidence(excerpt=excerpt(lines), artifacts=artifacts)
    empty = [v.no_data for v in verdicts if v.no_data]
    if empty:
        judged = len(boards) - len(empty)
        rest = f"; the other {judged} dashboard(s) show data" if judged and api is not None else ""
        return no_data("; ".join(empty) + rest, measurements=found.measurements, evidence=evidence)
    skipped = [s for b in boards for s in b.skipped]
    tail = f"; skipped {len(skipped)} target(s): {_skip_summary(skipped)}" if skipped else ""
    if api is None:
        summary = (
            f"{len(boards)} dashboard(s), {queries} panel queries parse "
            "(data not checked: require_data is false)"
        )
    else:
        empty_q = sum(v.empty_queries for v in verdicts)
        summary = (
            f"{len(boards)} dashboard(s): all {panels} panels show data on {api.base_url} "
            f"({queries - empty_q}/{queries} queries return data"
            + (
                f"; {empty_q} empty query(ies) beside ones with data, listed in the evidence"
                if empty_q
                else ""
            )
            + ")"
        )
    return Outcome(
        status=Status.PASS,
        summary=summary + tail,
        measurements=tuple(found.measurements),
        evidence=evidence,
        reproducer=reproducer,
    )


def _skip_summary(skipped: list[dash.Skipped]) -> str:
    counts: dict[str, int] = {}
    for item in skipped:
        counts[item.reason] = counts.get(item.reason, 0) + 1
    return ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items()))


def _write_listing(ctx: CheckContext, lines: str) -> tuple[str, ...]:
    """``dashboard-queries.txt``: every query as evaluated, with its result."""
    path = Path(ctx.artifacts_dir) / "dashboard-queries.txt"
    with contextlib.suppress(FileWriteError, OSError):
        atomic_write(path, lines + "\n")
        return (str(path),)
    return ()


async def _parse_promql(exprs: list[str], ctx: CheckContext) -> dict[int, str]:
    """Parse every expression with Prometheus' own parser (``promtool check rules``).

    Each expression becomes a recording rule in its own group, so promtool's error lines
    (``group "q12", rule 1, ...: could not parse expression: ...``) map back to the query.
    """
    if not exprs:
        return {}
    promtool = tool("promtool")
    groups = [
        {"name": f"q{i}", "rules": [{"record": "golive:panel_query", "expr": e}]} for i, e in enumerate(exprs)
    ]
    with tempfile.TemporaryDirectory(prefix="golive-promql-") as tmp:
        path = Path(tmp) / "panels.rules.yml"
        atomic_write(path, dump_yaml({"groups": groups}))
        result = await ctx.run([promtool, "check", "rules", str(path)])
    errors: dict[int, str] = {}
    if result.returncode == 0:
        return errors
    for match in re.finditer(r'group "q(\d+)", rule \d+, "[^"]*": (.*)', tool_output(result)):
        errors[int(match.group(1))] = match.group(2).strip()
    if not errors:
        # Not a per-expression error (e.g. invalid YAML): blame every query rather than none.
        return {i: first_error(tool_output(result)) for i in range(len(exprs))}
    return errors
