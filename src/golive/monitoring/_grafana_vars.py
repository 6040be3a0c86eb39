"""Grafana's template variables, resolved and interpolated as Grafana does for a Prometheus panel.

A variable's values come from where Grafana gets them: a ``query`` variable asks Prometheus
(``label_values(...)``, ``query_result(...)``, ``metrics(...)``, a series selector), with
the variable's ``regex`` and ``sort`` applied; ``custom``/``interval`` variables list their
options; ``constant``/``textbox`` hold one value. The value a dashboard opens with is the
saved one when it is still an option, else *All* when the variable offers it, else the first
option; the spec's ``variables:`` override all of that.

Interpolation follows Grafana's Prometheus data source: a single-valued variable is inserted
as is (backslashes and quotes escaped), a multi-value or *All* variable as a regex alternation
``(a|b)`` of regex-escaped values (or its ``allValue``), ``${var:format}`` in the named format.
Operators are never rewritten: ``instance="$node"`` with two values selected matches nothing in
Grafana too, and is reported so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

#: Grafana's variable syntax: ``$name``, ``[[name:fmt]]``, ``${name.field:fmt}``.
_VARIABLE = re.compile(
    r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}", re.ASCII
)

#: Values the dashboard JSON uses for "All".
ALL = "$__all"


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """A variable with the values a dashboard opens with (or the spec chose)."""

    name: str
    kind: str
    #: The selected values; for *All*, every option.
    values: tuple[str, ...]
    is_all: bool = False
    all_value: str | None = None
    #: Multi-value or include-All variables are formatted as regexes by Grafana.
    regex_format: bool = False
    #: How the value was found, for the evidence.
    how: str = ""

    @property
    def multiple(self) -> bool:
        """True when Grafana inserts more than one value (a regex alternation or allValue)."""
        return (self.is_all and self.all_value is not None) or len(self.values) > 1

    def describe(self) -> str:
        """``job=node (label_values(...): 2 values, first)`` for the evidence."""
        shown = "All" if self.is_all else ",".join(self.values) or "(no value)"
        return f"${self.name}={shown}" + (f" ({self.how})" if self.how else "")


def _regular_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\\\'")


def _special_regex_escape(value: str) -> str:
    escaped = value.replace("\\", "\\\\\\\\")
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m.group(0), escaped)


def _regex_escape(value: str) -> str:
    return re.sub(r"[\\^$*+?.()|\[\]{}/]", lambda m: "\\" + m.group(0), value)


def _prometheus_format(var: Resolved) -> str:
    if var.is_all and var.all_value is not None:
        return var.all_value
    if not var.regex_format:
        return _regular_escape(var.values[0]) if var.values else ""
    escaped = [_special_regex_escape(v) for v in var.values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


_FORMATS: dict[str, Callable[[list[str]], str]] = {
    "raw": lambda vs: ",".join(vs),
    "csv": lambda vs: ",".join(vs),
    "pipe": lambda vs: "|".join(vs),
    "text": lambda vs: " + ".join(vs),
    "glob": lambda vs: vs[0] if len(vs) == 1 else "{" + ",".join(vs) + "}",
    "json": lambda vs: json.dumps(vs[0] if len(vs) == 1 else list(vs)),
    "doublequote": lambda vs: ",".join(f'"{v}"' for v in vs),
    "singlequote": lambda vs: ",".join(f"'{v}'" for v in vs),
    "percentencode": lambda vs: quote(",".join(vs), safe=""),
    "regex": lambda vs: (
        _regex_escape(vs[0]) if len(vs) == 1 else "(" + "|".join(_regex_escape(v) for v in vs) + ")"
    ),
}


def format_value(var: Resolved, fmt: str | None) -> str:
    """The text Grafana inserts for ``var`` in a Prometheus query (``fmt``: ``${var:fmt}``)."""
    if not fmt:
        return _prometheus_format(var)
    if var.is_all and var.all_value is not None:
        return var.all_value
    if fmt == "queryparam":
        return "&".join(f"var-{var.name}={quote(v, safe='')}" for v in var.values)
    return _FORMATS.get(fmt, _FORMATS["raw"])(list(var.values))


def _name(match: re.Match[str]) -> str:
    return match.group(1) or match.group(2) or match.group(4)


def interpolate(text: str, variables: Mapping[str, Resolved], builtins: Mapping[str, str]) -> str:
    """``text`` with every known variable replaced; unknown ones (``$1`` too) stay as written."""

    def substitute(match: re.Match[str]) -> str:
        name = _name(match)
        if name in builtins:
            return builtins[name]
        var = variables.get(name)
        if var is None:
            return match.group(0)
        return format_value(var, match.group(3) or match.group(6))

    return _VARIABLE.sub(substitute, text)


def references(text: str) -> list[str]:
    """Names of the variables ``text`` refers to, in order, without duplicates."""
    return list(dict.fromkeys(_name(m) for m in _VARIABLE.finditer(text)))


def undefined(text: str, variables: Mapping[str, Resolved], builtins: Mapping[str, str]) -> list[str]:
    """Variables ``text`` uses that neither the dashboard nor Grafana defines (``$1`` excluded)."""
    return [n for n in references(text) if n not in variables and n not in builtins and not n.isdigit()]


# ------------------------------------------------------------------------------ options


def js_regex(text: str) -> re.Pattern[str]:
    """A Grafana (JavaScript) ``/pattern/flags`` regex, or a bare pattern anchored at both ends."""
    match = re.fullmatch(r"/(.*)/([a-z]*)", text, re.DOTALL)
    if match is None:
        return re.compile(f"^{text}$")
    flags = 0
    for letter, flag in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)):
        if letter in match.group(2):
            flags |= flag
    return re.compile(re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", match.group(1)), flags)


def apply_regex(texts: Sequence[str], regex: str) -> list[str]:
    """The values the variable's ``regex`` keeps: the first capture group (or ``value``/``text``)."""
    if not regex:
        return list(texts)
    pattern = js_regex(regex)
    values = []
    for text in texts:
        match = pattern.search(text)
        if match is None:
            continue
        named = match.groupdict()
        if named.get("value") is not None or named.get("text") is not None:
            values.append(named.get("value") or named.get("text") or "")
        elif pattern.groups >= 1:
            if match.group(1) is not None:
                values.append(match.group(1))
        else:
            values.append(text)
    return values


def _number(text: str) -> float:
    match = re.search(r"-?\d+(?:\.\d+)?", text)
    return float(match.group(0)) if match else float("-inf")


def sort_values(values: Sequence[str], sort: Any) -> list[str]:
    """Unique values in Grafana's ``sort`` order (0: as returned)."""
    unique = [v for v in dict.fromkeys(values) if v != ""]
    if sort in (1, 2):
        return sorted(unique, reverse=sort == 2)
    if sort in (3, 4):
        return sorted(unique, key=_number, reverse=sort == 4)
    if sort in (5, 6):
        return sorted(unique, key=str.lower, reverse=sort == 6)
    if sort in (7, 8):
        key = lambda v: [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", v)]  # noqa: E731
        return sorted(unique, key=key, reverse=sort == 8)
    return unique


def custom_options(query: str) -> list[str]:
    """The values of a ``custom`` variable (``a, b, c``; ``text : value``; ``\\,`` escapes)."""
    values = []
    for part in re.findall(r"(?:\\,|[^,])+", query):
        item = part.strip().replace("\\,", ",")
        text, sep, value = item.partition(" : ")
        values.append(value.strip() if sep else text)
    return [v for v in values if v]


def saved_values(variable: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The saved ``current`` value(s) and whether it is *All*."""
    current = variable.get("current")
    value = current.get("value") if isinstance(current, dict) else None
    values = [str(v) for v in value] if isinstance(value, list) else ([] if value is None else [str(value)])
    is_all = any(v in (ALL, "All") for v in values) or (
        isinstance(current, dict) and current.get("text") in ("All", ["All"]) and not values
    )
    return [v for v in values if v not in (ALL, "")], is_all


def select(
    variable: Mapping[str, Any], options: Sequence[str], override: str | None, *, how: str = ""
) -> Resolved:
    """The values the dashboard opens with, from the options (Grafana's selection rules)."""
    name, kind = str(variable.get("name", "")), str(variable.get("type", ""))
    include_all = bool(variable.get("includeAll"))
    all_value = variable.get("allValue")
    base = Resolved(
        name=name,
        kind=kind,
        values=(),
        all_value=str(all_value) if include_all and all_value not in (None, "") else None,
        regex_format=bool(variable.get("multi")) or include_all,
    )

    def pick(values: Sequence[str], chosen: str, *, is_all: bool = False) -> Resolved:
        detail = f"{how}: {chosen}" if how else chosen
        return replace(base, values=tuple(values), is_all=is_all, how=detail)

    if override is not None:
        if override in (ALL, "All") and include_all:
            return pick(options, "All, from the spec's variables", is_all=True)
        return pick([override], "from the spec's variables")
    saved, saved_all = saved_values(variable)
    if saved_all and include_all:
        return pick(options, f"All of {len(options)} values, as saved", is_all=True)
    if saved and (all(v in options for v in saved) or kind in ("textbox", "constant")):
        return pick(saved, "as saved")
    if include_all:
        return pick(options, f"All of {len(options)} values (the default)", is_all=True)
    if options:
        return pick(options[:1], f"first of {len(options)} values (the default)")
    return pick([], "no value")
