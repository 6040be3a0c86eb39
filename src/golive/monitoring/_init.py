"""The library side of ``golive init monitoring``: gather inputs, generate, verify."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from golive.errors import GoliveError
from golive.kit.environment import Variables
from golive.kit.processes import find_tool, run_sync
from golive.monitoring._inventory import Inventory, parse_exposition
from golive.monitoring._model import Settings
from golive.monitoring.base import MonitoringError
from golive.spec.models import Environment, Spec


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
) -> Settings:
    """Generator settings from the spec: service name, objectives, target address."""
    variables = _resolver(environment)
    parts = urlsplit(_resolve(variables, environment.base_url))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    objectives = spec.objectives
    prom = urlsplit(_resolve(variables, environment.prometheus_url or "http://127.0.0.1:9090"))
    am = urlsplit(_resolve(variables, environment.alertmanager_url or "http://127.0.0.1:9093"))
    return Settings(
        service=spec.service.name,
        target=f"{parts.hostname}:{port}",
        availability=objectives.availability or 99.9,
        latency_p95_ms=objectives.latency_p95_ms or 500.0,
        latency_p99_ms=objectives.latency_p99_ms,
        error_rate=objectives.error_rate if objectives.error_rate is not None else 1.0,
        runbook_url=runbook_url,
        webhook_url=webhook_url,
        prometheus_address=f"{prom.hostname}:{prom.port or 9090}",
        alertmanager_address=f"{am.hostname}:{am.port or 9093}",
        readiness_address=readiness_address,
    )


def resolved_base_url(environment: Environment) -> str:
    """The environment's base_url with ``${VAR}`` references resolved (the one resolver)."""
    return _resolve(_resolver(environment), environment.base_url).rstrip("/")


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
