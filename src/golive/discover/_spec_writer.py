"""``golive init``: a starter ``golive.yaml`` written from discovered facts, and ``--explain``.

The spec covers every area of a production readiness review (runbook, monitoring, testing,
CI/CD, security, DR, performance, docs) with tiers and risks. It uses only what discovery
found, each value with a comment naming its source; what golive could not find is a
``# TODO:`` (or a criterion that fails loudly until it is written), never a made-up value:
no objectives, load thresholds, ports or paths out of thin air.

Goals are not declared: they are the plan's own success criteria, a team's decision, and
with goals every criterion must belong to one; the tiers judge each criterion instead.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

from golive.discover._spec_criteria import Area, Entry, docs, found, monitoring, runbook
from golive.discover._spec_delivery import cicd, dr, performance, security, testing
from golive.discover.facts import Database, Fact, Migrations, ServiceFacts, Tests

_AREAS = (runbook, monitoring, testing, cicd, security, dr, performance, docs)


@dataclass(frozen=True, kw_only=True)
class ExplainedFact:
    """One discovered value for ``--explain``: what it is, the value, where it was found."""

    name: str
    value: str
    source: str


@dataclass(frozen=True, kw_only=True)
class StarterSpec:
    """The written spec and what it is made of."""

    text: str
    criteria: tuple[str, ...]
    #: Criterion id → its ``fix`` (only criteria that name one).
    fixes: dict[str, str]
    todos: tuple[str, ...]


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    return yaml


def _dump(data: Any) -> str:
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    return buffer.getvalue()


def _scalar(value: Any) -> str:
    """One value as YAML (quoted when it has to be)."""
    return _dump({"k": value})[len("k: ") :].rstrip("\n").removesuffix("\n...")


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in text.splitlines()]


def _header(facts: ServiceFacts) -> list[str]:
    return _comment(
        f"Production readiness spec for {facts.name.value}, written by `golive init` from what it\n"
        "found in this repository (`golive init --explain` lists every fact and where it was found).\n"
        "`# TODO:` marks what golive could not find; a criterion whose check prints\n"
        '"golive TODO: ..." fails until you replace it. `golive review` runs every criterion, and\n'
        "each one not met shows its `fix`: the command or change that closes the gap.",
        "",
    )


def _needs_base_url(areas: tuple[Area, ...]) -> bool:
    from golive.kit.check import is_full_url

    live = {"http", "api.contract", "load.test", "security.probe", "alert.drill"}
    for area in areas:
        for entry in area.entries:
            check = entry.body["check"]
            if check["type"] in live and not is_full_url(check.get("path")):
                return True
    return False


def _environment(facts: ServiceFacts, live: bool) -> list[str]:
    lines = ["environments:", "  local:"]

    def key(name: str, value: Any, note: str) -> None:
        lines.append(f"    {name}: {_scalar(value)}" + (f"  # {note}" if note else ""))

    if facts.port:
        key("base_url", f"http://127.0.0.1:{facts.port.value}", found(facts.port, "port"))
    elif live:
        key("base_url", "${BASE_URL}", "TODO: golive found no port; set BASE_URL or write the address")
    else:
        lines += _comment("TODO: base_url: the service's address, once a check talks to it", "    ")
    for name, fact in (("health_path", facts.health_path), ("openapi_path", facts.openapi_path)):
        if fact:
            key(name, fact.value, found(fact))
    lines += _database_url(facts.database)
    lines += _comment(
        "TODO: prometheus_url / alertmanager_url: where the Prometheus and Alertmanager that watch\n"
        "the service answer (the live monitoring checks need them).",
        "    ",
    )
    start = facts.start_command
    how = f" (it starts with `{start.value}`, {found(start)})" if start else ""
    lines += _comment(f"TODO: up / down: commands that start and stop the service for a review{how}.", "    ")
    if not any(line.startswith("    ") and not line.lstrip().startswith("#") for line in lines):
        lines[1] = "  local: {}"
    return lines


def _database_url(database: Fact[Database] | None) -> list[str]:
    if database is None:
        return []
    db = database.value
    note = found(database, f"{db.kind} database")
    if db.url_env and db.url_env.upper().endswith(("URL", "URI", "DSN")):
        value = _scalar("${" + db.url_env + "}")
        return [f"    database_url: {value}  # the variable the service reads; {note}"]
    if db.url:
        return [f"    database_url: {_scalar(db.url)}  # {note}"]
    reads = f" (the service reads its host from ${db.url_env})" if db.url_env else ""
    return _comment(f"TODO: database_url, secrets as ${{VAR}}{reads}; {note}", "    ")


def _objectives() -> list[str]:
    return _comment(
        "TODO: objectives. golive found none: agree them with the people who depend on the service,\n"
        "then write them here (the load, monitoring and DR checks judge against them):\n"
        "objectives:\n"
        "  availability:     # percent\n"
        "  latency_p95_ms:\n"
        "  error_rate:       # percent\n"
        "  rto:              # how long a recovery may take, e.g. 1h\n"
        "  rpo:              # how much data may be lost, e.g. 15m",
        "",
    )


def _entry(entry: Entry) -> list[str]:
    lines = _comment("\n".join(entry.comments), "  ") if entry.comments else []
    return lines + _dump([entry.body]).rstrip("\n").splitlines()


def _criteria(areas: tuple[Area, ...]) -> list[str]:
    lines = ["criteria:"]
    for area in areas:
        lines += ["", f"  # --- {area.name} " + "-" * max(3, 60 - len(area.name))]
        lines += _comment("\n".join(f"TODO: {t}" for t in area.todos), "  ") if area.todos else []
        for entry in area.entries:
            lines += _entry(entry)
    return lines


def write_spec(facts: ServiceFacts) -> StarterSpec:
    """The starter spec for the discovered service."""
    areas = tuple(build(facts) for build in _AREAS)
    lines = [*_header(facts), "", "service:", f"  name: {_scalar(facts.name.value)}"]
    lines += _comment("TODO: owner: the team that answers for the service in production", "  ")
    lines += ["", *_environment(facts, _needs_base_url(areas)), "", *_objectives(), ""]
    lines += _comment(
        "goals (optional): group criteria under the plan's own success criteria; once declared,\n"
        "every criterion must belong to exactly one goal (see `golive schema`).",
        "",
    )
    lines += ["", *_criteria(areas)]
    bodies = [e.body for a in areas for e in a.entries]
    return StarterSpec(
        text="\n".join(lines) + "\n",
        criteria=tuple(b["id"] for b in bodies),
        fixes={b["id"]: b["fix"] for b in bodies if b.get("fix")},
        todos=tuple(t for a in areas for t in a.todos),
    )


def _show(value: Any) -> str:
    if isinstance(value, Database | Migrations):
        parts = [
            f"{f.name}={getattr(value, f.name)}" for f in dataclasses.fields(value) if getattr(value, f.name)
        ]
        return ", ".join(parts)
    return str(value)


def _facts_of(name: str, value: Any) -> Iterator[ExplainedFact]:
    if isinstance(value, Fact):
        yield ExplainedFact(name=name, value=_show(value.value), source=str(value.source))
    elif isinstance(value, tuple):
        for item in value:
            yield from _facts_of(name, item)
    elif isinstance(value, Tests):
        for f in dataclasses.fields(value):
            if f.name != "markers":
                yield from _facts_of(f"tests.{f.name}", getattr(value, f.name))


def explain(facts: ServiceFacts) -> tuple[list[ExplainedFact], list[str]]:
    """Every discovered fact with its source, and everything discovery could not decide."""
    out: list[ExplainedFact] = []
    for f in dataclasses.fields(facts):
        if f.name not in ("root", "unknowns"):
            out += _facts_of(f.name, getattr(facts, f.name))
    if facts.tests.markers:
        out.append(
            ExplainedFact(
                name="tests.markers", value=", ".join(facts.tests.markers), source="pytest configuration"
            )
        )
    return out, list(facts.unknowns)
