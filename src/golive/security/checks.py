"""Check types of the security family: ``security.sast``, ``.secrets``, ``.dependencies``,
``.iac``, ``.workflows`` and ``.probe``.

Each check writes ``findings.json``, ``findings.sarif`` and ``findings.md`` to its artifacts
directory and fails when an unwaived finding reaches ``fail_on`` (default high). Tools that
are not installed are skipped with the reason; when nothing could run the criterion is
``skipped``. Their params live in :mod:`golive.security._params`.
"""

from __future__ import annotations

import functools
import time
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError
from golive.results import Measurement, Outcome
from golive.security._dast import run_probes
from golive.security._dependencies import scan_dependencies
from golive.security._gate import judge, scan_all, scan_root
from golive.security._iac import CheckovScanner, GoliveIacScanner
from golive.security._params import (
    DependenciesParams,
    IacParams,
    ProbeParams,
    SastParams,
    SecretsParams,
    WorkflowsParams,
)
from golive.security._probe import GuardedClient, Prober
from golive.security._sast import BanditScanner, SemgrepScanner, shipped_rules
from golive.security._secrets import DetectSecretsScanner
from golive.security._workflows import ZizmorScanner
from golive.security.base import RunState, Scanner, SecurityError, ToolRun

#: What the traffic guard names when it refuses a target.
PROBE_TRAFFIC = "probe traffic"


class SastCheck:
    """Static analysis with bandit and semgrep (golive's shipped rules, offline)."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

    name: ClassVar[str] = "security.sast"
    description: ClassVar[str] = "SAST: bandit and semgrep (shipped rules, offline); gate on severity."
    Params: ClassVar[type[SastParams]] = SastParams

    async def run(self, params: SastParams, ctx: CheckContext) -> Outcome:
        """Run the selected analysers and merge what they found."""
        root = scan_root(params, ctx)
        scanners: list[Scanner] = []
        if "bandit" in params.tools:
            scanners.append(BanditScanner(excludes=params.excludes()))
        if "semgrep" in params.tools:
            rules = [*(shipped_rules() if params.shipped_rules else []), *(ctx.path(r) for r in params.rules)]
            if not rules:
                raise CheckError("semgrep has no rule files: keep shipped_rules or name local rules")
            scanners.append(SemgrepScanner(rules=tuple(rules), excludes=params.excludes()))
        runs = await scan_all(scanners, root, ctx)
        return judge(ctx, params, runs, target=str(root), root=root)


class SecretsCheck:
    """Committed secrets in the working tree and git history; evidence is always redacted."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

    name: ClassVar[str] = "security.secrets"
    description: ClassVar[str] = "Committed secrets (working tree and git history) with detect-secrets."
    Params: ClassVar[type[SecretsParams]] = SecretsParams

    async def run(self, params: SecretsParams, ctx: CheckContext) -> Outcome:
        """Scan; only the secret's type, place and hash are ever reported."""
        root = scan_root(params, ctx)
        scanner = DetectSecretsScanner(
            excludes=params.excludes(), history=params.history, max_commits=params.max_commits
        )
        runs = await scan_all([scanner], root, ctx)
        warnings = [r.reason for r in runs if r.state is RunState.RAN and r.reason]
        return judge(ctx, params, runs, target=str(root), root=root, warnings=warnings)


class DependenciesCheck:
    """Known vulnerabilities in locked dependencies (OSV), and a CycloneDX SBOM."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

    name: ClassVar[str] = "security.dependencies"
    description: ClassVar[str] = "Locked dependencies vs OSV (offline export or API); CycloneDX SBOM."
    Params: ClassVar[type[DependenciesParams]] = DependenciesParams

    async def run(self, params: DependenciesParams, ctx: CheckContext) -> Outcome:
        """Parse the lock files, match every pinned version against OSV advisories."""
        root = scan_root(params, ctx)
        scan = await scan_dependencies(params, ctx, root)
        return judge(
            ctx,
            params,
            [scan.run],
            target=str(root),
            root=root,
            warnings=scan.warnings,
            extra_artifacts=scan.artifacts,
            notes=scan.notes,
            extra_measurements=(Measurement(name="packages", value=scan.packages),),
        )


class IacCheck:
    """Dockerfiles, Kubernetes manifests and compose files: checkov plus golive's rules."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

    name: ClassVar[str] = "security.iac"
    description: ClassVar[str] = "IaC: checkov (offline) and golive's Kubernetes/container readiness rules."
    Params: ClassVar[type[IacParams]] = IacParams

    async def run(self, params: IacParams, ctx: CheckContext) -> Outcome:
        """Run the selected scanners over the directory."""
        root = scan_root(params, ctx)
        scanners: list[Scanner] = []
        if "golive" in params.tools:
            scanners.append(GoliveIacScanner(excludes=params.excludes()))
        if "checkov" in params.tools:
            scanners.append(CheckovScanner(excludes=params.excludes()))
        runs = await scan_all(scanners, root, ctx)
        return judge(ctx, params, runs, target=str(root), root=root)


class WorkflowsCheck:
    """GitHub Actions workflows audited by zizmor (offline)."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

    name: ClassVar[str] = "security.workflows"
    description: ClassVar[str] = "GitHub Actions security with zizmor --offline."
    Params: ClassVar[type[WorkflowsParams]] = WorkflowsParams

    async def run(self, params: WorkflowsParams, ctx: CheckContext) -> Outcome:
        """Audit ``.github/workflows`` under the path."""
        root = scan_root(params, ctx)
        runs = await scan_all([ZizmorScanner(persona=params.persona)], root, ctx)
        return judge(ctx, params, runs, target=str(root), root=root)


class ProbeCheck:
    """DAST against the running service: only loopback or explicitly allowed hosts."""

    #: Disrupts the service (faults, bursts of traffic): the engine runs it alone.
    exclusive: ClassVar[bool] = True
    name: ClassVar[str] = "security.probe"
    description: ClassVar[str] = (
        "DAST: headers, cookies, CORS, errors, auth on secured routes, injection, body size, rate limit."
    )
    Params: ClassVar[type[ProbeParams]] = ProbeParams

    async def run(self, params: ProbeParams, ctx: CheckContext) -> Outcome:
        """Refuse disallowed targets before any traffic, then run the bounded probes."""
        base = ctx.resolve(params.base_url or ctx.environment.base_url).rstrip("/")
        ctx.require_target(base, what=PROBE_TRAFFIC)
        client = GuardedClient(
            http=ctx.http,
            guard=functools.partial(ctx.require_target, what=PROBE_TRAFFIC),
            max_requests=params.max_requests,
            request_timeout=params.request_timeout,
            deadline=time.monotonic() + ctx.timeout * 0.9,
        )
        started = time.monotonic()
        try:
            log = await run_probes(Prober(client=client, base=base, params=params), params, ctx)
        except SecurityError as exc:
            raise CheckError(f"{exc} (after {client.sent} request(s))") from None
        run = ToolRun(
            tool="golive-probe",
            state=RunState.RAN,
            findings=tuple(log.findings),
            reason=f"{client.sent} request(s) to {base}",
        )
        return judge(
            ctx,
            params,
            [run],
            target=base,
            root=None,
            notes="\n".join(log.lines),
            extra_measurements=(
                Measurement(name="requests", value=client.sent, target=f"<= {params.max_requests}"),
                Measurement(name="probe_duration", value=round(time.monotonic() - started, 3), unit="s"),
            ),
        )
