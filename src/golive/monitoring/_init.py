"""The library side of ``golive init monitoring``: gather inputs, generate, verify."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from golive.discover.facts import ServiceFacts
from golive.errors import GoliveError, UsageError
from golive.kit.environment import Variables
from golive.kit.processes import find_tool, run_sync
from golive.monitoring._inventory import Inventory, parse_exposition
from golive.monitoring._model import Settings
from golive.monitoring.base import MonitoringError
from golive.spec.models import Environment, Objectives, Spec


def fetch_inventory(url: str, timeout: float = 10.0) -> Inventory:
    """Read a live ``/metrics`` endpoint."""
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        raise MonitoringError(
            f"cannot read {url}: {exc!r}; start the service or pass --metrics-file"
        ) from None
    if response.status_code != 200:
        raise MonitoringError(f"{url} answered HTTP {response.status_code}")
    return parse_exposition(response.text)


def _resolver(environment: Environment) -> Variables:
    return Variables.for_process(environment.vars)


def _resolve(variables: Variables, text: str) -> str:
    try:
        return variables.resolve(text)
    except GoliveError as exc:
        raise MonitoringError(str(exc)) from None


def settings_for(
    spec: Spec,
    environment: Environment,
    *,
    runbook_url: str = "runbook.md",
    webhook_url: str = "http://127.0.0.1:9095",
    readiness_address: str | None = None,
    facts: ServiceFacts | None = None,
) -> Settings:
    """Generator settings from the spec and the discovered facts: service, objectives, target.

    The scrape target's port is the one the service declares (discovered in its Dockerfile,
    compose file or code), which ``prometheus.config`` compares the committed target with;
    the host is the base_url's (else the service's name). Only without a discovered port does
    the base_url's port count. The metrics path is the discovered one.
    """
    variables = _resolver(environment)
    if facts is not None and facts.port is not None:
        host = urlsplit(_resolve(variables, environment.base_url)).hostname if environment.base_url else None
        target = f"{host or spec.service.name}:{facts.port.value}"
    else:
        parts = urlsplit(_resolve(variables, _base_url(environment)))
        target = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    metrics_path = facts.metrics_path.value if facts is not None and facts.metrics_path else "/metrics"
    objectives = spec.objectives
    assumed = _assumed_objectives(objectives)
    prom = urlsplit(_resolve(variables, environment.prometheus_url or "http://127.0.0.1:9090"))
    am = urlsplit(_resolve(variables, environment.alertmanager_url or "http://127.0.0.1:9093"))
    return Settings(
        service=spec.service.name,
        target=target,
        metrics_path=metrics_path,
        availability=objectives.availability or 99.9,
        latency_p95_ms=objectives.latency_p95_ms or 500.0,
        latency_p99_ms=objectives.latency_p99_ms,
        error_rate=objectives.error_rate if objectives.error_rate is not None else 1.0,
        runbook_url=runbook_url,
        webhook_url=webhook_url,
        prometheus_address=f"{prom.hostname}:{prom.port or 9090}",
        alertmanager_address=f"{am.hostname}:{am.port or 9093}",
        readiness_address=readiness_address,
        assumed=assumed,
        existing_severities=_existing_severities(facts),
    )


def _existing_severities(facts: ServiceFacts | None) -> tuple[str, ...]:
    """Severity values in the service's own alert rule files (discovered), sorted."""
    from golive.monitoring._rules import load_alerts

    if facts is None:
        return ()
    found: set[str] = set()
    for fact in facts.alert_rules:
        try:
            alerts = load_alerts(facts.root / fact.value)
        except (GoliveError, OSError):
            continue  # a broken rule file is the rules check's finding, not the generator's
        found |= {a.labels["severity"] for a in alerts if a.labels.get("severity")}
    return tuple(sorted(found))


def _assumed_objectives(objectives: Objectives) -> tuple[str, ...]:
    """The objectives the alerts need that the spec leaves out, with the value assumed."""
    return tuple(
        f"objectives.{name} (assumed {value})"
        for name, value in (
            ("availability", "99.9%"),
            ("latency_p95_ms", "500 ms"),
            ("error_rate", "1%"),
        )
        if getattr(objectives, name) is None
    )


def resolved_base_url(environment: Environment) -> str:
    """The environment's base_url with ``${VAR}`` references resolved (the one resolver)."""
    return _resolve(_resolver(environment), _base_url(environment)).rstrip("/")


def _base_url(environment: Environment) -> str:
    """The environment's base_url; UsageError (exit 2) when the spec has none."""
    if not environment.base_url:
        raise UsageError(
            "the environment has no base_url and no port was discovered: set base_url in golive.yaml "
            "(the scrape target is its host:port)"
        )
    return environment.base_url


def verify(out_dir: Path) -> list[str]:
    """Run promtool and amtool on written files; the problems found (empty when all pass)."""
    problems: list[str] = []
    promtool, amtool = find_tool("promtool"), find_tool("amtool")
    runs: list[list[str]] = []
    if promtool:
        runs.append([promtool, "check", "config", "prometheus.yml"])
        tests = sorted((out_dir / "rules").glob("*.test.yml"))
        if tests:
            runs.append([promtool, "test", "rules", *(str(t.relative_to(out_dir)) for t in tests)])
    if amtool:
        runs.append([amtool, "check-config", "alertmanager.yml"])
    for argv in runs:
        done = run_sync(argv, cwd=out_dir, timeout=60)
        shown = f"{Path(argv[0]).name} {' '.join(argv[1:])}"
        if done.timed_out:
            problems.append(f"{shown}: no answer within 60s")
        elif done.returncode != 0:
            problems.append(f"{shown}: " + (done.stderr or done.stdout).strip()[-600:])
    if not promtool or not amtool:
        problems.append("promtool/amtool not installed: the files were not verified")
    return problems
