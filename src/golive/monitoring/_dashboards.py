"""Reading Grafana dashboard JSON: panels, their Prometheus queries, variables and inputs.

What is read is also what is skipped: hidden targets and targets of other data sources (Loki,
Elasticsearch, ``-- Dashboard --``) are kept as :class:`Skipped` so the check reports them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.monitoring.base import MonitoringError

#: Panel types that hold no queries.
_NO_QUERY_TYPES = {"row", "text", "news", "dashlist", "alertlist", "annolist", "welcome"}

#: Data source types whose targets are PromQL (``datasource`` is the "-- Dashboard --" one).
_PROMQL_TYPES = {"prometheus"}

#: A data source reference: ``$name``, ``${name}`` (inputs may hold ``-``: ``${DS_GDEV-PROMETHEUS}``)
#: or ``[[name]]``.
_REFERENCE = re.compile(r"\$\{([^}:]+)(?::[^}]*)?\}|\$(\w+)|\[\[([^\]:]+)(?::[^\]]*)?\]\]")


@dataclass(frozen=True, kw_only=True)
class PanelQuery:
    """One PromQL target of one panel, with what Grafana needs to compute ``$__interval``."""

    panel_id: int | None
    panel_title: str
    ref_id: str
    expr: str
    datasource: Any
    #: The panel's own "min interval" (``interval``, e.g. ``"30s"`` or ``">1m"``), if any.
    min_interval: str = ""
    #: The panel's ``maxDataPoints``, else its width in pixels (24 grid columns ≈ 1800 px).
    max_points: int = 900
    #: The panel's relative time override (``timeFrom``, e.g. ``"1h"``), if any.
    time_from: str = ""

    @property
    def label(self) -> str:
        """``panel 'CPU' (A)`` for reports."""
        return f"panel {self.panel_title!r} ({self.ref_id})"


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """A target that is not judged, and why (reported, never dropped silently)."""

    panel_title: str
    ref_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Dashboard:
    """A dashboard file, loaded."""

    path: Path
    title: str
    uid: str
    panels: tuple[Mapping[str, Any], ...]
    variables: tuple[Mapping[str, Any], ...]
    inputs: tuple[Mapping[str, Any], ...]
    #: The dashboard's default time range start (``time.from``, e.g. ``now-6h``).
    time_from: str = "now-6h"

    @property
    def where(self) -> str:
        """``file.json (Title)`` for reports."""
        return f"{self.path.name} ({self.title})"


def load_dashboard(path: Path) -> Dashboard:
    """Parse a dashboard file; accepts a bare dashboard or an API envelope ``{"dashboard": …}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except IsADirectoryError:
        raise MonitoringError(f"{path} is a directory, not a dashboard file") from None
    except OSError as exc:
        raise MonitoringError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise MonitoringError(f"{path.name}: invalid JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    if not isinstance(data, dict) or not (
        isinstance(data.get("panels"), list) or isinstance(data.get("rows"), list)
    ):
        raise MonitoringError(f"{path.name}: not a Grafana dashboard (no 'panels' list)")
    data = _import_constants(data)
    templating = data.get("templating") or {}
    time_range: dict[str, Any] = data["time"] if isinstance(data.get("time"), dict) else {}
    return Dashboard(
        path=path,
        title=str(data.get("title", path.stem)),
        uid=str(data.get("uid", "")),
        panels=tuple(_walk_panels(data)),
        variables=tuple(v for v in templating.get("list") or [] if isinstance(v, dict)),
        inputs=tuple(i for i in data.get("__inputs") or [] if isinstance(i, dict)),
        time_from=str(time_range.get("from") or "now-6h"),
    )


def _walk_panels(data: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    # Schema v16+ keeps panels flat, with a collapsed row's panels nested in the row;
    # older dashboards keep them in ``rows[].panels``.
    for panel in data.get("panels") or []:
        if not isinstance(panel, dict):
            continue
        yield panel
        for inner in panel.get("panels") or []:
            if isinstance(inner, dict):
                yield inner
    for row in data.get("rows") or []:
        if isinstance(row, dict):
            for inner in row.get("panels") or []:
                if isinstance(inner, dict):
                    yield inner


def duplicate_ids(dashboard: Dashboard) -> list[int]:
    """Panel ids used more than once."""
    seen: set[int] = set()
    dupes: list[int] = []
    for panel in dashboard.panels:
        pid = panel.get("id")
        if isinstance(pid, int):
            if pid in seen and pid not in dupes:
                dupes.append(pid)
            seen.add(pid)
    return dupes


def _max_points(panel: Mapping[str, Any]) -> int:
    points = panel.get("maxDataPoints")
    if isinstance(points, int | float) and points > 0:
        return int(points)
    grid: Mapping[str, Any] = panel["gridPos"] if isinstance(panel.get("gridPos"), dict) else {}
    width = grid.get("w", panel.get("span", 12) * 2 if isinstance(panel.get("span"), int) else 12)
    return max(100, int(width if isinstance(width, int | float) else 12) * 75)


def queries(dashboard: Dashboard) -> tuple[list[PanelQuery], list[Skipped]]:
    """Every PromQL target of every panel, and the targets skipped (hidden, other data sources)."""
    found: list[PanelQuery] = []
    skipped: list[Skipped] = []
    for panel in dashboard.panels:
        if panel.get("type") in _NO_QUERY_TYPES:
            continue
        title = str(panel.get("title") or f"panel {panel.get('id')}")
        for target in panel.get("targets") or []:
            if not isinstance(target, dict):
                continue
            ref_id = str(target.get("refId", ""))
            datasource = target.get("datasource") or panel.get("datasource")
            kind = datasource_type(datasource, dashboard)
            if target.get("hide") is True:
                skipped.append(Skipped(panel_title=title, ref_id=ref_id, reason="hidden"))
                continue
            if kind is not None and kind not in _PROMQL_TYPES:
                skipped.append(Skipped(panel_title=title, ref_id=ref_id, reason=f"{kind} data source"))
                continue
            expr = target.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                skipped.append(Skipped(panel_title=title, ref_id=ref_id, reason="no expression"))
                continue
            found.append(
                PanelQuery(
                    panel_id=panel.get("id") if isinstance(panel.get("id"), int) else None,
                    panel_title=title,
                    ref_id=ref_id,
                    expr=expr,
                    datasource=datasource,
                    min_interval=str(target.get("interval") or panel.get("interval") or ""),
                    max_points=_max_points(panel),
                    time_from=str(panel.get("timeFrom") or ""),
                )
            )
    return found, skipped


def _reference(value: str) -> str | None:
    match = _REFERENCE.fullmatch(value.strip())
    if not match:
        return None
    return next(g for g in match.groups() if g)


#: Grafana's built-in pseudo data sources, by uid.
_BUILT_IN = {"grafana": "grafana", "-- Grafana --": "grafana", "-- Dashboard --": "dashboard"}


def datasource_type(datasource: Any, dashboard: Dashboard) -> str | None:
    """The plugin type of a target's data source; None when it is the default or unknown."""
    ref = datasource.get("uid") if isinstance(datasource, dict) else datasource
    if isinstance(ref, str) and ref in _BUILT_IN:
        return _BUILT_IN[ref]
    if isinstance(datasource, dict) and datasource.get("type") not in (None, "", "datasource"):
        return str(datasource["type"])
    name = _reference(ref) if isinstance(ref, str) else None
    if name is None:
        return None
    for variable in dashboard.variables:
        if variable.get("name") == name and variable.get("type") == "datasource":
            return str(variable.get("query") or "") or None
    for item in dashboard.inputs:
        if item.get("name") == name and item.get("type") == "datasource":
            return str(item.get("pluginId") or "") or None
    return None


def datasource_variables(dashboard: Dashboard) -> set[str]:
    """Names a panel may reference as its data source: datasource variables and inputs."""
    names = {str(v.get("name")) for v in dashboard.variables if v.get("type") == "datasource"}
    names |= {str(i.get("name")) for i in dashboard.inputs if i.get("type") == "datasource"}
    return names


def datasource_problem(query: PanelQuery, allowed: set[str]) -> str | None:
    """Why a query's data source is not the dashboard's variable, or None when it is."""
    ds = query.datasource
    ref = ds.get("uid") if isinstance(ds, dict) else ds
    if ref is None:
        return "uses the default data source instead of the datasource variable"
    if not isinstance(ref, str):
        return f"has a data source of unexpected form {ref!r}"
    name = _reference(ref)
    if name is None:
        return f"is pinned to data source {ref!r} instead of a datasource variable"
    if name not in allowed:
        return f"references ${{{name}}}, which is not a datasource variable or input of the dashboard"
    return None


def _import_constants(data: dict[str, Any]) -> dict[str, Any]:
    """The dashboard as Grafana imports it: ``${NAME}`` of each constant ``__inputs`` replaced.

    Data source inputs stay references: the check verifies that panels use them.
    """
    constants = {
        str(i["name"]): str(i.get("value", ""))
        for i in data.get("__inputs") or []
        if isinstance(i, dict) and i.get("type") == "constant" and i.get("name")
    }
    if not constants:
        return data
    text = json.dumps(data)
    for name, value in constants.items():
        text = text.replace("${" + name + "}", json.dumps(value)[1:-1])
    imported: dict[str, Any] = json.loads(text)
    return imported
