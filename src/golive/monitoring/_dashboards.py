"""Reading Grafana dashboard JSON: panels, their PromQL, and template variables."""

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

#: Grafana's built-in interval variables and the values used to evaluate them.
_BUILTIN_DEFAULTS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__interval_ms": "60000",
    "__rate_interval_ms": "60000",
}


@dataclass(frozen=True, kw_only=True)
class PanelQuery:
    """One PromQL target of one panel."""

    panel_id: int | None
    panel_title: str
    ref_id: str
    expr: str
    datasource: Any


@dataclass(frozen=True, kw_only=True)
class Dashboard:
    """A dashboard file, loaded."""

    path: Path
    title: str
    uid: str
    panels: tuple[Mapping[str, Any], ...]
    variables: tuple[Mapping[str, Any], ...]
    inputs: tuple[Mapping[str, Any], ...]


def load_dashboard(path: Path) -> Dashboard:
    """Parse a dashboard file; accepts a bare dashboard or an API envelope ``{"dashboard": …}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
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
    templating = data.get("templating") or {}
    return Dashboard(
        path=path,
        title=str(data.get("title", path.stem)),
        uid=str(data.get("uid", "")),
        panels=tuple(_walk_panels(data)),
        variables=tuple(v for v in templating.get("list") or [] if isinstance(v, dict)),
        inputs=tuple(i for i in data.get("__inputs") or [] if isinstance(i, dict)),
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


def queries(dashboard: Dashboard) -> list[PanelQuery]:
    """Every PromQL target of every panel (hidden targets and non-PromQL panels skipped)."""
    found = []
    for panel in dashboard.panels:
        if panel.get("type") in _NO_QUERY_TYPES:
            continue
        for target in panel.get("targets") or []:
            if not isinstance(target, dict) or target.get("hide") is True:
                continue
            expr = target.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                continue
            found.append(
                PanelQuery(
                    panel_id=panel.get("id") if isinstance(panel.get("id"), int) else None,
                    panel_title=str(panel.get("title") or f"panel {panel.get('id')}"),
                    ref_id=str(target.get("refId", "")),
                    expr=expr,
                    datasource=target.get("datasource") or panel.get("datasource"),
                )
            )
    return found


def datasource_variables(dashboard: Dashboard) -> set[str]:
    """Names a panel may reference as its data source: datasource variables and inputs."""
    names = {str(v.get("name")) for v in dashboard.variables if v.get("type") == "datasource"}
    names |= {str(i.get("name")) for i in dashboard.inputs if i.get("type") == "datasource"}
    return names


def _reference(value: str) -> str | None:
    match = re.fullmatch(r"\$\{?([A-Za-z0-9_]+)(?::[a-z]+)?\}?|\[\[([A-Za-z0-9_]+)\]\]", value)
    if not match:
        return None
    return match.group(1) or match.group(2)


def datasource_problem(query: PanelQuery, allowed: set[str]) -> str | None:
    """Why a query's data source is not the dashboard's variable, or None when it is."""
    ds = query.datasource
    if isinstance(ds, dict):
        ref = ds.get("uid")
        if ds.get("type") not in (None, "prometheus", "datasource"):
            return None  # not a Prometheus query at all
    else:
        ref = ds
    if ref is None:
        return "uses the default data source instead of the datasource variable"
    if not isinstance(ref, str):
        return f"has a data source of unexpected form {ref!r}"
    name = _reference(ref)
    if name is None:
        return f"is pinned to data source {ref!r} instead of a datasource variable"
    if name not in allowed:
        return f"references ${name}, which is not a datasource variable of the dashboard"
    return None


def _current_value(variable: Mapping[str, Any]) -> str | None:
    current = variable.get("current") or {}
    value = current.get("value") if isinstance(current, dict) else None
    if isinstance(value, list):
        value = "|".join(str(v) for v in value if v != "$__all")
    if value in (None, "", "$__all") or str(value).startswith("$"):
        return None
    return str(value)


def substitute(expr: str, dashboard: Dashboard, overrides: Mapping[str, str]) -> str:
    """Replace Grafana variables so the expression can be parsed and evaluated.

    Precedence: ``overrides``, the variable's current value, then a value that matches
    anything (``=~".+"``) for label matchers and the interval defaults for durations.
    """
    values: dict[str, str] = dict(_BUILTIN_DEFAULTS)
    for variable in dashboard.variables:
        name = str(variable.get("name", ""))
        if variable.get("type") == "interval":
            values[name] = _current_value(variable) or "5m"
        elif variable.get("type") == "constant":
            values[name] = str(variable.get("query", ""))
        else:
            current = _current_value(variable)
            if current is not None:
                values[name] = current
    values.update(overrides)

    def name_of(match: re.Match[str]) -> str:
        return next(g for g in match.groups() if g)

    var = r"\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]"

    # Equality matchers on an unknown variable become "any value" regex matchers.
    def matcher(match: re.Match[str]) -> str:
        label, op, inner = match.group(1), match.group(2), match.group(3)
        ref = re.fullmatch(var, inner)
        if ref is None:
            return match.group(0)
        name = name_of(ref)
        if name in values:
            return f'{label}{op}"{values[name]}"'
        if op in ("=", "=~"):
            return f'{label}=~".+"'
        return f'{label}!~""'

    expr = re.sub(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"', matcher, expr)

    def plain(match: re.Match[str]) -> str:
        name = name_of(match)
        return values.get(name, ".+")

    return re.sub(var, plain, expr)
