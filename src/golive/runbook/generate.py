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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jinja2

from golive.discover.facts import ServiceFacts
from golive.kit.environment import MissingVariableError, Variables
from golive.kit.files import GeneratedFiles
from golive.runbook._crossref import canonical
from golive.runbook._discovered import discovered_dependencies
from golive.runbook._markdown import parse_runbook, slugify
from golive.runbook._params import DEFAULT_PATH
from golive.runbook._sources import (
    AlertRule,
    DeployCommands,
    alert_rule_files,
    deploy_commands,
    load_alert_rules,
    readyz_dependencies,
    spec_dependencies,
)
from golive.runbook.base import RunbookError
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
    "400": ("Bad request", "Client sent invalid input; check the request against the API's schema."),
    "401": ("Unauthenticated", "Missing or expired credentials; check the authentication set-up."),
    "403": ("Forbidden", "Authenticated but not allowed; check roles."),
    "404": ("Not found", "Wrong path or missing resource; check recent routing changes."),
    "409": ("Conflict", "Concurrent update or duplicate; usually safe to retry after reading."),
    "422": ("Validation error", "Payload failed validation; the body names the field."),
    "429": ("Rate limited", "A client exceeds its limit; check for abusive or looping clients."),
    "500": ("Internal error", "A bug or failing dependency: read the logs for the request id."),
    "502": ("Bad gateway", "The proxy cannot reach the service: check the process is running."),
    "503": ("Unavailable", "Not ready: a dependency is down. Check the readiness endpoint's details."),
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
    #: The discovered readiness path (used when no probe found one).
    readiness_path: str | None
    metrics_path: str
    alerts: tuple[AlertRule, ...]
    deploy: DeployCommands | None
    dependencies: tuple[DependencyFacts, ...]
    dr_criteria: tuple[tuple[str, str], ...]
    runbook_criteria: tuple[str, ...]
    error_codes: tuple[tuple[str, str, str], ...]
    extra: Mapping[str, Any] = field(default_factory=dict)


def _readiness(
    get: Callable[[str], httpx.Response | None], discovered: str | None
) -> tuple[str | None, str | None, list[str]]:
    """(readiness path, status word when ready, dependencies named in its details).

    The discovered readiness path is asked first; the usual names only when none was found.
    """
    for path in (discovered,) if discovered else ("/readyz", "/ready", "/health/ready"):
        r = get(path)
        if r is None or r.status_code not in (200, 503):
            continue
        try:
            payload = r.json()
        except ValueError:
            payload = None
        ready_status = None
        if isinstance(payload, Mapping) and isinstance(payload.get("status"), str):
            ready_status = payload["status"] if r.status_code == 200 else None
        return path, ready_status, readyz_dependencies(payload)
    return None, None, []


def _metric(response: httpx.Response | None) -> str | None:
    """A metric the service exposes (an HTTP request counter when there is one)."""
    if response is None or not response.is_success:
        return None
    types: list[str] = re.findall(r"(?m)^# TYPE (\S+) ", response.text)
    preferred = [t for t in types if t.startswith("http_requests")]
    chosen = preferred or types
    return chosen[0] if chosen else None


def _error_codes(response: httpx.Response | None) -> dict[str, str]:
    """Documented 4xx/5xx responses of an OpenAPI document: code → description."""
    codes: dict[str, str] = {}
    if response is None or not response.is_success:
        return codes
    try:
        doc = response.json()
    except ValueError:
        doc = {}
    for ops in (doc.get("paths") or {}).values():
        for op in (ops or {}).values() if isinstance(ops, Mapping) else ():
            for code, resp in ((op or {}).get("responses") or {}).items():
                if str(code).isdigit() and int(code) >= 400 and str(code) not in codes:
                    codes[str(code)] = str((resp or {}).get("description", ""))
    return codes


def probe_service(
    environment: Environment,
    variables: Variables,
    timeout: float = 5.0,
    *,
    facts: ServiceFacts | None = None,
) -> Probe | None:
    """Ask a running instance about itself; None when it does not answer its health path.

    ``base_url`` is resolved with ``variables`` (the one resolver a review uses too).
    """
    if not environment.base_url:
        return None
    try:
        base = variables.resolve(environment.base_url).rstrip("/")
    except MissingVariableError:
        return None
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:

        def get(path: str) -> httpx.Response | None:
            try:
                return client.get(base + "/" + path.lstrip("/"))
            except httpx.HTTPError:
                return None

        health = get(_health_path(environment, facts))
        if health is None or not health.is_success:
            return None
        discovered = facts.readiness_path.value if facts and facts.readiness_path else None
        readyz_path, ready_status, dependencies = _readiness(get, discovered)
        version = get("/version")
        openapi = get(environment.openapi_path)
        return Probe(
            base_url=base,
            healthy=True,
            readyz_path=readyz_path,
            ready_status=ready_status,
            dependencies=tuple(dependencies),
            metric=_metric(get(_metrics_path(facts))),
            version=version is not None and version.is_success,
            openapi=openapi is not None and openapi.is_success,
            error_codes=tuple(sorted(_error_codes(openapi).items())),
        )


def gather_facts(
    spec: Spec,
    *,
    runbook_path: Path,
    probe: Probe | None = None,
    today: date | None = None,
    facts: ServiceFacts | None = None,
) -> RunbookFacts:
    """Collect what the runbook template needs from the spec, its files, discovery and the probe."""
    rules, _ = load_alert_rules(alert_rule_files(spec, spec.root))
    deploy = deploy_commands(spec)
    _, default_env = spec.environment(None)
    deps: dict[str, DependencyFacts] = {}
    for name in probe.dependencies if probe else ():
        where = f"{probe.readyz_path} details" if probe and probe.readyz_path else "readiness details"
        deps[canonical(name)] = DependencyFacts(name=name, source=where, in_readyz=True)
    for name in spec_dependencies(default_env):
        deps.setdefault(
            canonical(name), DependencyFacts(name=name, source="database_url in golive.yaml", in_readyz=False)
        )
    for name, source in discovered_dependencies(spec.root, facts):
        deps.setdefault(canonical(name), DependencyFacts(name=name, source=source, in_readyz=False))
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
        objectives=_objectives(spec),
        probe=probe,
        health_path=_health_path(default_env, facts),
        readiness_path=facts.readiness_path.value if facts and facts.readiness_path else None,
        metrics_path=_metrics_path(facts),
        alerts=tuple(rules),
        deploy=deploy,
        dependencies=tuple(deps.values()),
        dr_criteria=tuple((c.id, c.title) for c in spec.criteria if c.area == "dr"),
        runbook_criteria=tuple(c.id for c in spec.criteria if c.check.type == "runbook"),
        error_codes=_error_table(probe),
    )


def _health_path(environment: Environment, facts: ServiceFacts | None) -> str:
    """The spec's health path when it sets one, else the discovered one, else the spec's default."""
    if "health_path" not in environment.model_fields_set and facts and facts.health_path:
        return facts.health_path.value
    return environment.health_path


def _metrics_path(facts: ServiceFacts | None) -> str:
    return facts.metrics_path.value if facts and facts.metrics_path else "/metrics"


def _objectives(spec: Spec) -> tuple[tuple[str, str], ...]:
    """(label, target) of every objective the spec sets."""
    o = spec.objectives
    rows = (
        ("Availability", f"{o.availability:g}%" if o.availability else ""),
        ("Latency p95", f"{o.latency_p95_ms:g} ms" if o.latency_p95_ms else ""),
        ("Latency p99", f"{o.latency_p99_ms:g} ms" if o.latency_p99_ms else ""),
        ("Error rate", f"{o.error_rate:g}%" if o.error_rate is not None else ""),
        ("RTO", _duration(o.rto)),
        ("RPO", _duration(o.rpo)),
    )
    return tuple((label, value) for label, value in rows if value)


def _error_table(probe: Probe | None) -> tuple[tuple[str, str, str], ...]:
    """(code, meaning, resolution): the documented codes, plus the usual 4xx/5xx."""
    codes: dict[str, tuple[str, str]] = {}
    for code, desc in probe.error_codes if probe else ():
        meaning = _ERROR_MEANING.get(code, ("", "Read the logs for the request id."))
        codes[code] = (desc or meaning[0], meaning[1])
    for code in ("500", "502", "503", "504"):
        codes.setdefault(code, _ERROR_MEANING[code])
    if not probe or not probe.error_codes:
        for code in ("400", "401", "403", "404", "429"):
            codes.setdefault(code, _ERROR_MEANING[code])
    return tuple((c, d, r) for c, (d, r) in sorted(codes.items()))


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


def write_runbook(path: Path, text: str, *, force: bool = False) -> bool:
    """Write the runbook under the generated-files policy; True when the file changed.

    A runbook golive wrote and nobody edited since is rewritten; one the team changed (or
    one golive did not write) is left alone, a RunbookError, unless ``force``.
    """
    files = GeneratedFiles(root=path.parent, generator="golive init runbook")
    written, conflicts = files.write({path.name: text}, force=force)
    if conflicts:
        raise RunbookError(
            f"{path} already exists with changes golive did not write; pass --force to overwrite it"
        )
    return bool(written)
