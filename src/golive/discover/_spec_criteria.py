"""The criteria of a starter spec, area by area, from what discovery found and nothing else.

Each area of a production readiness review gets its criteria. A value golive found is used
with a comment naming where it was found; a piece it could not find becomes either a
criterion that fails loudly until someone fills it in (a *placeholder*: a ``command`` check
whose output starts ``golive TODO:``, the convention the generated CI steps follow too), or
a ``# TODO:`` comment when no check could judge it yet. Every criterion that a ``golive init``
generator can satisfy names that command in its ``fix``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from golive.discover.facts import Fact, ServiceFacts

FIX_MONITORING = "golive init monitoring"
FIX_CI = "golive init ci"
FIX_RUNBOOK = "golive init runbook"
FIX_DR = "golive init dr"

#: Where the generators write what the spec then checks (relative to the spec).
MONITORING_DIR = "monitoring"
RUNBOOK_PATH = "docs/PRODUCTION_RUNBOOK.md"
DR_RUNBOOK_PATH = "docs/DR_RUNBOOK.md"


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One criterion of the starter spec, with the comments written above it."""

    body: dict[str, Any]
    comments: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Area:
    """The criteria of one area, and the TODOs nothing could check yet."""

    name: str
    entries: tuple[Entry, ...] = ()
    todos: tuple[str, ...] = ()


@dataclass(kw_only=True)
class Builder:
    """Collects an area's entries and TODOs while it is written."""

    entries: list[Entry] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)

    def add(self, body: dict[str, Any], *comments: str) -> None:
        """Add a criterion with the comments written above it (empty ones dropped)."""
        self.entries.append(Entry(body=body, comments=tuple(c for c in comments if c)))

    def area(self, name: str) -> Area:
        """The finished area."""
        return Area(name=name, entries=tuple(self.entries), todos=tuple(self.todos))


def placeholder(what: str) -> dict[str, Any]:
    """A check that fails loudly, saying what to write in its place."""
    # Quoted for the shell: a command or path named in ``what`` is printed, never run.
    text = shlex.quote(f"golive TODO: {what}")
    return {"type": "command", "shell": True, "command": f"echo {text} >&2; exit 1"}


def found(fact: Fact[Any] | None, what: str = "") -> str:
    """A comment naming where a fact came from ("" without a fact)."""
    if fact is None:
        return ""
    return f"{what or 'found'} in {fact.source}"


def criterion(
    cid: str, title: str, area: str, tier: str, risk: str, check: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """A criterion mapping in the spec's key order."""
    body: dict[str, Any] = {"id": cid, "title": title, "area": area, "tier": tier, "risk": risk}
    body.update({k: v for k, v in extra.items() if k not in ("fix", "needs") and v is not None})
    if extra.get("needs"):
        body["needs"] = extra["needs"]
    if extra.get("fix"):
        body["fix"] = extra["fix"]
    body["check"] = check
    return body


def _first_path(facts: tuple[Fact[str], ...], default: str) -> tuple[str, Fact[str] | None]:
    return (facts[0].value, facts[0]) if facts else (default, None)


def monitoring(facts: ServiceFacts) -> Area:
    """Health, metrics, Prometheus config, alert rules and routing, targets, dashboards."""
    b = Builder()
    name = facts.name.value
    if facts.health_path:
        check: dict[str, Any] = {"type": "http", "path": facts.health_path.value, "max_latency_ms": 1000}
        b.add(
            criterion(
                "svc.liveness",
                "Health endpoint answers",
                "monitoring",
                "must",
                "An orchestrator cannot tell a hung process from a healthy one.",
                check,
            ),
            found(facts.health_path, "health path"),
        )
    else:
        b.add(
            criterion(
                "svc.liveness",
                "Health endpoint answers",
                "monitoring",
                "must",
                "An orchestrator cannot tell a hung process from a healthy one.",
                placeholder("add a health endpoint to the service, then check it with type: http"),
                fix="add a health endpoint (GET answering 200) and replace this check with "
                "{type: http, path: <its path>}",
            ),
            "TODO: golive found no health endpoint (route, OpenAPI document or healthcheck).",
        )
    if facts.readiness_path:
        b.add(
            criterion(
                "svc.readiness",
                "Readiness endpoint answers",
                "monitoring",
                "must",
                "Traffic reaches instances whose dependencies are down.",
                {"type": "http", "path": facts.readiness_path.value},
            ),
            found(facts.readiness_path, "readiness path"),
        )
    else:
        b.todos.append(
            "golive found no readiness endpoint (one that checks the database and "
            "brokers); add one and an http criterion for it."
        )
    if facts.metrics_path:
        b.add(
            criterion(
                "svc.metrics",
                "Prometheus metrics are exposed",
                "monitoring",
                "must",
                "No visibility into request rate, errors and latency.",
                {"type": "http", "path": facts.metrics_path.value},
            ),
            found(facts.metrics_path, "metrics path"),
        )
    else:
        b.add(
            criterion(
                "svc.metrics",
                "Prometheus metrics are exposed",
                "monitoring",
                "must",
                "No visibility into request rate, errors and latency.",
                placeholder("expose Prometheus metrics, then check the path with type: http"),
                fix="expose Prometheus metrics (a /metrics route) and replace this check "
                "with {type: http, path: <its path>}; then run golive init monitoring",
            ),
            "TODO: golive found no metrics endpoint.",
        )
    _monitoring_files(facts, b, name)
    return b.area("monitoring")


def _monitoring_files(facts: ServiceFacts, b: Builder, name: str) -> None:
    rules = [f.value for f in facts.alert_rules] or [f"{MONITORING_DIR}/rules/*.rules.yml"]
    routes, routes_fact = _first_path(facts.alertmanager_configs, f"{MONITORING_DIR}/alertmanager.yml")
    b.add(
        criterion(
            "mon.prometheus.config",
            "Prometheus config is valid and scrapes the service",
            "monitoring",
            "must",
            "Metrics silently stop being collected; alerts never fire.",
            {"type": "prometheus.config", "config": f"{MONITORING_DIR}/prometheus.yml", "jobs": [name]},
            fix=FIX_MONITORING,
        ),
    )
    b.add(
        criterion(
            "mon.alert-rules",
            "Alerts are valid, documented and unit-tested",
            "monitoring",
            "must",
            "Pages without a runbook, or alerts that never fire because their expression is wrong.",
            {
                "type": "prometheus.rules",
                "files": rules,
                "tests": [f"{MONITORING_DIR}/rules/*.test.yml"],
                "runbook": f"{MONITORING_DIR}/runbook.md",
            },
            fix=FIX_MONITORING,
        ),
        *(found(f, "alert rules") for f in facts.alert_rules),
    )
    b.add(
        criterion(
            "mon.alert-routing",
            "Every severity reaches a receiver; the worst pages",
            "monitoring",
            "must",
            "An urgent alert is routed to nobody.",
            {"type": "alertmanager.routes", "config": routes},
            fix=FIX_MONITORING,
        ),
        found(routes_fact, "Alertmanager config"),
    )
    b.add(
        criterion(
            "mon.targets",
            "Prometheus scrapes every instance",
            "monitoring",
            "should",
            "An instance without metrics hides its errors from every alert.",
            {"type": "prometheus.targets", "jobs": [name]},
            needs=["mon.prometheus.config"],
            fix="run a Prometheus with monitoring/prometheus.yml and set prometheus_url",
        ),
    )
    b.add(
        criterion(
            "mon.dashboards",
            "Dashboards parse and every panel shows data",
            "monitoring",
            "nice",
            "On-call opens a dashboard during an incident and finds empty panels.",
            {
                "type": "grafana.dashboards",
                "files": [f.value for f in facts.dashboards] or [f"{MONITORING_DIR}/dashboards/*.json"],
            },
            needs=["mon.targets"],
            fix=FIX_MONITORING,
        ),
    )


def runbook(facts: ServiceFacts) -> Area:
    """The production runbook: complete, cross-referenced, its verify steps pass."""
    b = Builder()
    path, fact = _first_path(facts.runbooks, RUNBOOK_PATH)
    check: dict[str, Any] = {"type": "runbook", "path": path}
    # The runbook check reads dependencies from a readiness endpoint's JSON; only a real one.
    check["readyz_path"] = facts.readiness_path.value if facts.readiness_path else None
    if facts.compose_files:
        check["compose_files"] = [f.value for f in facts.compose_files]
    fix = (
        f"complete {path} with what the runbook check lists (`{FIX_RUNBOOK} -o other.md` shows a full one)"
        if fact
        else FIX_RUNBOOK
    )
    b.add(
        criterion(
            "runbook.tested",
            "Production runbook is complete and its verify steps pass",
            "runbook",
            "must",
            "Responders follow steps that no longer work, or find no contact, rollback or "
            "dependency procedure.",
            check,
            fix=fix,
        ),
        found(fact, "runbook"),
    )
    return b.area("runbook")


def docs(facts: ServiceFacts) -> Area:
    """README and the API description."""
    b = Builder()
    readme = next((f for f in facts.docs if PurePosixPath(f.value).name.lower().startswith("readme")), None)
    b.add(
        criterion(
            "docs.readme",
            "README says how to run and configure the service",
            "docs",
            "should",
            "New responders cannot start or configure the service under pressure.",
            {"type": "file", "path": readme.value if readme else "README.md"},
            fix=None if readme else "write README.md: how to run, configure and deploy the service",
        ),
        found(readme, "README") or "TODO: golive found no README.",
    )
    if facts.openapi_path:
        b.add(
            criterion(
                "svc.openapi",
                "OpenAPI document is published",
                "docs",
                "nice",
                "Clients and contract tests have no source of truth for the API.",
                {"type": "http", "path": facts.openapi_path.value},
            ),
            found(facts.openapi_path, "OpenAPI document"),
        )
    b.todos.append("the README's required headings: add `headings: [...]` to docs.readme once agreed.")
    return b.area("docs")
