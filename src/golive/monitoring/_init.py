"""The library side of ``golive init monitoring``: gather inputs, generate, verify."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from golive import _interpolate
from golive.errors import GoliveError
from golive.monitoring._generate import Generated, Settings, generate
from golive.monitoring._inventory import Inventory, parse_exposition
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


def settings_for(
    spec: Spec,
    environment: Environment,
    *,
    runbook_url: str = "runbook.md",
    webhook_url: str = "http://127.0.0.1:9095",
    readiness_address: str | None = None,
) -> Settings:
    """Generator settings from the spec: service name, objectives, target address."""
    def resolve(text: str) -> str:
        try:
            return _interpolate.resolve(text, {**os.environ, **environment.vars})
        except GoliveError as exc:
            raise MonitoringError(str(exc)) from None

    parts = urlsplit(resolve(environment.base_url))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    objectives = spec.objectives
    prom = urlsplit(resolve(environment.prometheus_url or "http://127.0.0.1:9090"))
    am = urlsplit(resolve(environment.alertmanager_url or "http://127.0.0.1:9093"))
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


def generate_for(settings: Settings, inventory: Inventory) -> Generated:
    """Generate the files (a thin seam so the CLI stays free of generator details)."""
    return generate(settings, inventory)


def verify(out_dir: Path, service_job: str) -> list[str]:
    """Run promtool and amtool on written files; the problems found (empty when all pass)."""
    problems: list[str] = []
    promtool, amtool = shutil.which("promtool"), shutil.which("amtool")
    runs: list[list[str]] = []
    if promtool:
        runs.append([promtool, "check", "config", "prometheus.yml"])
        tests = sorted((out_dir / "rules").glob("*.test.yml"))
        if tests:
            runs.append([promtool, "test", "rules", *(str(t.relative_to(out_dir)) for t in tests)])
    if amtool:
        runs.append([amtool, "check-config", "alertmanager.yml"])
    for argv in runs:
        done = subprocess.run(argv, cwd=out_dir, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            problems.append(
                f"{Path(argv[0]).name} {' '.join(argv[1:])}: "
                + (done.stderr or done.stdout).strip()[-600:]
            )
    if not promtool or not amtool:
        problems.append("promtool/amtool not installed: the files were not verified")
    return problems


def resolved_base_url(environment: Environment) -> str:
    """The environment's base_url with ``${VAR:-default}`` resolved from the process env."""
    try:
        return _interpolate.resolve(environment.base_url, {**os.environ, **environment.vars}).rstrip(
            "/"
        )
    except GoliveError as exc:
        raise MonitoringError(str(exc)) from None
