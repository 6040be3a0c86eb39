"""``grafana.dashboards``: dashboards are valid, query through the datasource variable, and
every panel's PromQL parses (Prometheus' own parser) and shows data on the live Prometheus."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError
from golive.kit.files import atomic_write
from golive.kit.outcomes import Findings
from golive.kit.prometheus import PrometheusClient, PrometheusQueryError, PrometheusUnreachable
from golive.monitoring import _dashboards as dash
from golive.monitoring._params import GrafanaDashboardsParams
from golive.monitoring._rules import expand
from golive.monitoring._support import findings_outcome, first_error, prometheus, tool, tool_output
from golive.monitoring._yaml import dump_yaml
from golive.monitoring.base import MonitoringError
from golive.results import Outcome, Status


@dataclass(frozen=True, kw_only=True)
class _Query:
    """One panel query to judge, with dashboard variables substituted."""

    board: dash.Dashboard
    query: dash.PanelQuery
    expr: str

    @property
    def where(self) -> str:
        return f"{self.board.path.name} ({self.board.title})"


class GrafanaDashboardsCheck:
    """Dashboards are valid, use the datasource variable, parse, and show data."""

    name: ClassVar[str] = "grafana.dashboards"
    description: ClassVar[str] = (
        "Each dashboard JSON is valid with unique panel ids and the datasource variable; every "
        "panel's PromQL parses and returns data on the live Prometheus."
    )
    Params: ClassVar[type[GrafanaDashboardsParams]] = GrafanaDashboardsParams

    async def run(self, params: GrafanaDashboardsParams, ctx: CheckContext) -> Outcome:
        """Read each dashboard; parse all queries with promtool; evaluate them."""
        files = expand([ctx.resolve(f) for f in params.files], ctx.workdir)
        if not files:
            return Outcome(status=Status.FAIL, summary=f"no dashboard matches {', '.join(params.files)}")
        api = prometheus(ctx, self.name) if params.require_data else None
        found, todo = _read_boards(files, params)
        parse_errors = await _parse_promql([q.expr for q in todo], ctx)
        judged = await _judge_queries(todo, parse_errors, api, params)
        found.extend(judged.found)
        found.measure("dashboards", len(files))
        found.measure("queries", len(todo))
        found.measure("empty_panels", judged.empty, target="= 0")
        data_note = f", all {judged.evaluated} return data" if api is not None else ""
        return findings_outcome(
            found,
            passed=f"{len(files)} dashboard(s), {len(todo)} panel queries parse{data_note}",
            reproducer=f"golive review --only {ctx.criterion_id}",
        )


def _read_boards(files: list[Path], params: GrafanaDashboardsParams) -> tuple[Findings, list[_Query]]:
    """Structural problems of each dashboard, and the queries its panels run."""
    found = Findings()
    todo: list[_Query] = []
    for path in files:
        try:
            board = dash.load_dashboard(path)
        except MonitoringError as exc:
            found.problem(str(exc))
            continue
        where = f"{path.name} ({board.title})"
        for pid in dash.duplicate_ids(board):
            found.problem(f"{where}: panel id {pid} is used more than once")
        allowed = dash.datasource_variables(board)
        if params.require_datasource_variable and not allowed:
            found.problem(f"{where}: no datasource variable (templating type 'datasource')")
        for q in dash.queries(board):
            if params.require_datasource_variable and allowed:
                why = dash.datasource_problem(q, allowed)
                if why:
                    found.problem(f"{where}: panel {q.panel_title!r} {why}")
            todo.append(_Query(board=board, query=q, expr=dash.substitute(q.expr, board, params.variables)))
    return found, todo


@dataclass(kw_only=True)
class _Judged:
    found: Findings
    evaluated: int = 0
    empty: int = 0


async def _judge_queries(
    todo: list[_Query],
    parse_errors: dict[int, str],
    api: PrometheusClient | None,
    params: GrafanaDashboardsParams,
) -> _Judged:
    """Panels whose query does not parse, fails or returns nothing (in panel order).

    An unreachable Prometheus is an error of the check, not a problem of every panel.
    """
    judged = _Judged(found=Findings())
    for index, item in enumerate(todo):
        title, ref = item.query.panel_title, item.query.ref_id
        if index in parse_errors:
            judged.found.problem(
                f"{item.where}: panel {title!r} ({ref}) does not parse: {parse_errors[index]}; "
                f"query: {item.query.expr}"
            )
            continue
        if api is None:
            continue
        try:
            samples = await api.query(item.expr)
        except PrometheusUnreachable as exc:
            raise CheckError(str(exc)) from None
        except PrometheusQueryError as exc:
            judged.found.problem(f"{item.where}: panel {title!r} query fails: {exc}; query: {item.expr}")
            continue
        judged.evaluated += 1
        if not samples and title not in params.allow_empty:
            judged.empty += 1
            judged.found.problem(
                f"{item.where}: panel {title!r} ({ref}) is empty on {api.base_url}; query: {item.expr}"
            )
    return judged


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
