"""``prometheus.config``: the committed Prometheus config judged by ``promtool`` and by the service.

promtool proves the file is a valid config; golive then reads it for what promtool cannot
know: that every expected scrape job is there, and that the service's own job scrapes a port
the service declares (Dockerfile ``EXPOSE``, compose ``ports``, Kubernetes Service). The
local review stack scrapes the service where it runs locally; this is what proves the
shipped file points at the right port.
"""

from __future__ import annotations

from typing import Any, ClassVar

from golive.kit.check import CheckContext
from golive.kit.outcomes import Findings, no_data
from golive.monitoring._params import PrometheusConfigParams
from golive.monitoring._ports import DeclaredPort, candidate_files, declared_ports
from golive.monitoring._rules import expand
from golive.monitoring._support import (
    findings_outcome,
    listing,
    relative,
    spec_paths_problem,
    tool,
    tool_failed,
    tool_output,
)
from golive.monitoring._yaml import load_yaml
from golive.monitoring.base import MonitoringError
from golive.results import Outcome, Status


class PrometheusConfigCheck:
    """``promtool check config`` passes, expected jobs are there, the service's job uses its port."""

    name: ClassVar[str] = "prometheus.config"
    description: ClassVar[str] = (
        "promtool check config; every listed scrape job is present; the service's job scrapes "
        "a port the service declares (Dockerfile EXPOSE, compose ports, Kubernetes Service)."
    )
    Params: ClassVar[type[PrometheusConfigParams]] = PrometheusConfigParams

    async def run(self, params: PrometheusConfigParams, ctx: CheckContext) -> Outcome:
        """Validate the config with promtool, then read its jobs and their targets."""
        config = ctx.path(params.config)
        mistake = spec_paths_problem("config", [config], ctx.workdir, file="prometheus.yml")
        if mistake:
            return no_data(mistake)
        if not config.is_file():
            return Outcome(status=Status.FAIL, summary=f"{params.config} does not exist")
        result = await ctx.run([tool("promtool"), "check", "config", str(config)], cwd=config.parent)
        reproducer = f"promtool check config {config}"
        if result.returncode != 0:
            return tool_failed("promtool check config", result, reproducer)
        try:
            data = load_yaml(config) or {}
        except MonitoringError as exc:
            return Outcome(status=Status.FAIL, summary=str(exc), reproducer=reproducer)
        jobs = {str(j.get("job_name")): j for j in data.get("scrape_configs") or [] if isinstance(j, dict)}
        found = Findings()
        for job in params.jobs:
            if job not in jobs:
                found.problem(
                    f"scrape job {job!r} is missing from {params.config} (jobs: {', '.join(jobs) or 'none'})"
                )
        found.measure("scrape_jobs", len(jobs))
        ports = _port_findings(params, ctx, jobs, relative(config, ctx.workdir))
        found.extend(ports.found)
        return findings_outcome(
            found,
            passed=f"promtool check config passed; {len(params.jobs)} expected job(s) present among "
            f"{len(jobs)}; {ports.clause}",
            reproducer=reproducer,
            extra_evidence=tool_output(result),
        )


class _Ports:
    """What the target-port comparison found, and the summary clause saying what it covered."""

    def __init__(self) -> None:
        self.found = Findings()
        self.clause = ""


def _service_jobs(params: PrometheusConfigParams, ctx: CheckContext, jobs: dict[str, Any]) -> list[str]:
    if params.service_jobs is not None:
        return list(params.service_jobs)
    service = ctx.spec.service.name if ctx.spec is not None else ""
    return [service] if service in jobs else []


def _declared(params: PrometheusConfigParams, ctx: CheckContext, names: set[str]) -> list[DeclaredPort]:
    if params.ports_from is None:
        files = candidate_files(ctx.workdir)
    else:
        files = [p for p in expand([ctx.resolve(f) for f in params.ports_from], ctx.workdir) if p.is_file()]
    ports = declared_ports(files, names, ctx.workdir)
    ports.extend(DeclaredPort(port=p, source="service_ports in the spec") for p in params.service_ports)
    return list(dict.fromkeys(ports))


def static_targets(job: dict[str, Any]) -> list[str]:
    """The addresses of a job's ``static_configs``."""
    return [
        str(t)
        for sc in job.get("static_configs") or []
        if isinstance(sc, dict)
        for t in sc.get("targets") or []
    ]


def target_port(address: str, scheme: str) -> int | None:
    """The port of ``host:port`` (``[::1]:port`` too); the scheme's default without one."""
    host, sep, port = address.rpartition(":")
    if sep and port.isdigit() and not host.endswith(":"):
        return int(port)
    return 443 if scheme == "https" else 80


def _port_findings(
    params: PrometheusConfigParams, ctx: CheckContext, jobs: dict[str, Any], shown: str
) -> _Ports:
    """Each committed target of the service's jobs against the ports the service declares."""
    out = _Ports()
    service_jobs = _service_jobs(params, ctx, jobs)
    if not service_jobs:
        out.clause = (
            "target ports NOT compared with the service's (no scrape job is named like the service; "
            "set service_jobs)"
        )
        return out
    declared = _declared(params, ctx, set(service_jobs) | {ctx.spec.service.name if ctx.spec else ""})
    if not declared:
        out.clause = (
            f"target ports of {', '.join(service_jobs)} NOT compared: no Dockerfile EXPOSE, compose "
            "ports or Kubernetes Service declares the service's port (set ports_from or service_ports)"
        )
        return out
    allowed = sorted({d.port for d in declared})
    sources = "; ".join(sorted({d.source for d in declared}))
    compared: list[str] = []
    for name in service_jobs:
        job = jobs.get(name)
        if job is None:
            out.found.problem(f"{shown}: the service's scrape job {name!r} is missing")
            continue
        targets = static_targets(job)
        if not targets:
            out.found.note(f"job {name} discovers its targets (no static_configs): ports not compared")
            continue
        for address in targets:
            port = target_port(address, str(job.get("scheme", "http")))
            compared.append(address)
            if port not in allowed:
                out.found.problem(
                    f"{shown}: job {name} scrapes {address} (port {port}), but the service declares "
                    f"port {', '.join(map(str, allowed))} ({sources})"
                )
    out.found.measure("service_targets_compared", len(compared))
    out.clause = (
        f"{len(compared)} target(s) of {', '.join(service_jobs)} use a declared port "
        f"({', '.join(map(str, allowed))}: {listing(sorted({d.source for d in declared}), 3)})"
        if compared
        else f"target ports of {', '.join(service_jobs)} NOT compared (service discovery)"
    )
    return out
