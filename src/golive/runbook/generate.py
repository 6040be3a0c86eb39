"""``golive init runbook``: write a production runbook from what golive knows.

The spec gives environments, health endpoints, objectives, DR criteria, the monitoring
criteria's alert rules and (when the deploy family is in use) the deploy and rollback
commands. An optional probe of a running instance adds its readiness details
(dependencies), metrics, version endpoint and documented error codes. What only the team
knows (contacts, restart procedures) is left as ``TODO(team):`` lines, which the
``runbook`` check reports as placeholders until someone fills them in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jinja2

from golive.runbook._files import atomic_write
from golive.runbook._markdown import parse_runbook, slugify
from golive.runbook._sources import (
    AlertRule,
    DeployCommands,
    alert_rule_files,
    deploy_commands,
    load_alert_rules,
    load_raw_spec,
    readyz_dependencies,
    spec_dependencies,
)
from golive.runbook.base import RunbookError
from golive.runbook.checks import DEFAULT_PATH, PROTECTED_ENVIRONMENTS
from golive.spec.models import Environment, Spec

__all__ = [
    "DEFAULT_PATH",
    "Probe",
    "RunbookFacts",
    "gather_facts",
    "probe_service",
    "render_runbook",
    "write_runbook",
]

_ERROR_MEANING: dict[str, tuple[str, str]] = {
    "400": ("Bad request", "Client sent invalid input; check the request against /openapi.json."),
    "401": ("Unauthenticated", "Missing or expired token; check the auth service and JWT secret."),
    "403": ("Forbidden", "Authenticated but not allowed; check roles."),
    "404": ("Not found", "Wrong path or missing resource; check recent routing changes."),
    "409": ("Conflict", "Concurrent update or duplicate; usually safe to retry after reading."),
    "422": ("Validation error", "Payload failed validation; the body names the field."),
    "429": ("Rate limited", "A client exceeds its limit; check for abusive or looping clients."),
    "500": ("Internal error", "A bug or failing dependency: read the logs for the request id."),
    "502": ("Bad gateway", "The proxy cannot reach the service: check the process is running."),
    "503": ("Unavailable", "Not ready: a dependency is down. Check /readyz details."),
    "504": ("Gateway timeout", "The service or a dependency is too slow: check latency and load."),
}


@dataclass(frozen=True, kw_only=True)
class Probe:
    """What a running instance told us about itself."""

    base_url: str
    healthy: bool = False
    readyz_path: str | None = None
    ready_status: str | None = None
    dependencies: tuple[str, ...] = ()
    metric: str | None = None
    version: bool = False
    openapi: bool = False
    error_codes: tuple[tuple[str, str], ...] = ()
    """(status code, description) pairs from the OpenAPI document."""


@dataclass(frozen=True, kw_only=True)
class DependencyFacts:
    """A dependency and how golive learnt about it."""

    name: str
    source: str
    in_readyz: bool


@dataclass(frozen=True, kw_only=True)
class RunbookFacts:
    """Everything the runbook template is filled with."""

    service: str
    owner: str
    description: str
    spec_path: str
    runbook_path: str
    generated: str
    environments: tuple[tuple[str, Environment], ...]
    objectives: tuple[tuple[str, str], ...]
    probe: Probe | None
    health_path: str
    alerts: tuple[AlertRule, ...]
    deploy: DeployCommands | None
    dependencies: tuple[DependencyFacts, ...]
    dr_criteria: tuple[tuple[str, str], ...]
    runbook_criteria: tuple[str, ...]
    error_codes: tuple[tuple[str, str, str], ...]
    protected: tuple[str, ...] = PROTECTED_ENVIRONMENTS
    extra: Mapping[str, Any] = field(default_factory=dict)


def probe_service(
    environment: Environment, resolve: Mapping[str, str], timeout: float = 5.0
) -> Probe | None:
    """Ask a running instance about itself; None when it does not answer its health path."""
    from golive import _interpolate

    try:
        base = _interpolate.resolve(environment.base_url, resolve).rstrip("/")
    except _interpolate.MissingVariableError:
        return None
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:

        def get(path: str) -> httpx.Response | None:
            try:
                return client.get(base + "/" + path.lstrip("/"))
            except httpx.HTTPError:
                return None

        health = get(environment.health_path)
        if health is None or not health.is_success:
            return None
        readyz_path: str | None = None
        ready_status: str | None = None
        dependencies: list[str] = []
        for path in ("/readyz", "/ready", "/health/ready"):
            r = get(path)
            if r is not None and r.status_code in (200, 503):
                readyz_path = path
                try:
                    payload = r.json()
                except ValueError:
                    payload = None
                dependencies = readyz_dependencies(payload)
                if isinstance(payload, Mapping) and isinstance(payload.get("status"), str):
                    ready_status = payload["status"] if r.status_code == 200 else None
                break
        metric: str | None = None
        m = get("/metrics")
        if m is not None and m.is_success:
            types = re.findall(r"(?m)^# TYPE (\S+) ", m.text)
            preferred = [t for t in types if t.startswith("http_requests")]
            metric = (preferred or types or [None])[0]
        v = get("/version")
        o = get(environment.openapi_path)
        codes: dict[str, str] = {}
        if o is not None and o.is_success:
            try:
                doc = o.json()
            except ValueError:
                doc = {}
            for ops in (doc.get("paths") or {}).values():
                for op in (ops or {}).values() if isinstance(ops, Mapping) else ():
                    for code, resp in ((op or {}).get("responses") or {}).items():
                        if str(code).isdigit() and int(code) >= 400 and str(code) not in codes:
                            codes[str(code)] = str((resp or {}).get("description", ""))
        return Probe(
            base_url=base,
            healthy=True,
            readyz_path=readyz_path,
            ready_status=ready_status,
            dependencies=tuple(dependencies),
            metric=metric,
            version=v is not None and v.is_success,
            openapi=o is not None and o.is_success,
            error_codes=tuple(sorted(codes.items())),
        )


def gather_facts(
    spec: Spec,
    *,
    runbook_path: Path,
    probe: Probe | None = None,
    today: date | None = None,
) -> RunbookFacts:
    """Collect what the runbook template needs from the spec, its files and the probe."""
    raw = load_raw_spec(spec.path)
    rules, _ = load_alert_rules(alert_rule_files(raw, spec.root))
    deploy = deploy_commands(raw, spec_dir=spec.root)
    _, default_env = spec.environment(None)
    deps: dict[str, DependencyFacts] = {}
    for name in probe.dependencies if probe else ():
        deps[name] = DependencyFacts(name=name, source="/readyz details", in_readyz=True)
    for name in spec_dependencies(default_env):
        if name not in deps:
            deps[name] = DependencyFacts(name=name, source="database_url in golive.yaml",
                                         in_readyz=False)
    o = spec.objectives
    objectives = [
        (label, value)
        for label, value in (
            ("Availability", f"{o.availability:g}%" if o.availability else ""),
            ("Latency p95", f"{o.latency_p95_ms:g} ms" if o.latency_p95_ms else ""),
            ("Latency p99", f"{o.latency_p99_ms:g} ms" if o.latency_p99_ms else ""),
            ("Error rate", f"{o.error_rate:g}%" if o.error_rate is not None else ""),
            ("RTO", _duration(o.rto)),
            ("RPO", _duration(o.rpo)),
        )
        if value
    ]
    codes: dict[str, tuple[str, str]] = {}
    for code, desc in probe.error_codes if probe else ():
        meaning = _ERROR_MEANING.get(code, ("", "Read the logs for the request id."))
        codes[code] = (desc or meaning[0], meaning[1])
    for code in ("500", "502", "503", "504"):
        codes.setdefault(code, _ERROR_MEANING[code])
    if not probe or not probe.error_codes:
        for code in ("400", "401", "403", "404", "429"):
            codes.setdefault(code, _ERROR_MEANING[code])
    try:
        rel = runbook_path.resolve().relative_to(spec.root.resolve())
    except ValueError:
        rel = runbook_path
    return RunbookFacts(
        service=spec.service.name,
        owner=spec.service.owner,
        description=spec.service.description,
        spec_path=spec.path.name,
        runbook_path=str(rel),
        generated=(today or date.today()).isoformat(),
        environments=tuple(spec.environments.items()),
        objectives=tuple(objectives),
        probe=probe,
        health_path=default_env.health_path,
        alerts=tuple(rules),
        deploy=deploy,
        dependencies=tuple(deps.values()),
        dr_criteria=tuple((c.id, c.title) for c in spec.criteria if c.area == "dr"),
        runbook_criteria=tuple(c.id for c in spec.criteria if c.check.type == "runbook"),
        error_codes=tuple((c, d, r) for c, (d, r) in sorted(codes.items())),
    )


def _duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _first_steps(rule: AlertRule) -> list[str]:
    """First things to look at, from what the alert measures."""
    text = f"{rule.name} {rule.expr} {rule.summary}".lower()
    steps: list[str] = []
    if re.search(r"error|5xx|status=~\"5", text):
        steps.append("Check whether a deploy happened in the last hour; if so, roll back first.")
        steps.append("Read the service logs for the failing route's request ids.")
    if re.search(r"latency|duration|slow", text):
        steps.append("Compare traffic with the usual level; check CPU, memory and the database.")
    if re.search(r"\bup\b|down|absent|unreachable", text):
        steps.append("Run the health checks; restart the service if liveness fails.")
    if re.search(r"outbox|lag|queue|backlog", text):
        steps.append("Check the event transport in the dependency section; it may be down.")
    if re.search(r"saturat|in_flight|cpu|memory", text):
        steps.append("Scale out or shed load; look for a client looping on retries.")
    if not steps:
        steps.append("Run the health checks below and read the service logs.")
    return steps


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("golive.runbook", "templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["slug"] = slugify
    env.filters["first_steps"] = _first_steps
    env.filters["oneline"] = lambda s: " ".join(str(s).split()).replace("|", "\\|")
    return env


def render_runbook(facts: RunbookFacts) -> str:
    """The runbook's Markdown."""
    template = _env().get_template("runbook.md.j2")

    def render(explicit: Mapping[str, str]) -> str:
        text = template.render(f=facts, explicit=explicit)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"

    # An alert whose runbook_url anchor is not a heading here gets an explicit <a id>; the
    # headings are only known once rendered, hence two passes.
    headings = parse_runbook(render({})).anchors
    explicit = {
        a.name: a.anchor
        for a in facts.alerts
        if a.anchor and a.anchor not in headings and a.anchor != slugify(a.name)
    }
    return render(explicit)


def write_runbook(path: Path, text: str, *, force: bool = False) -> None:
    """Write the runbook atomically; RunbookError if it exists and ``force`` is off."""
    if path.exists() and not force:
        raise RunbookError(f"{path} already exists; pass --force to overwrite it")
    atomic_write(path, text)
