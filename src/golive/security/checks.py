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
from datetime import UTC, datetime
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError, Inputs
from golive.kit.files import atomic_write
from golive.kit.outcomes import no_data
from golive.results import Measurement, Outcome, Status
from golive.security import _dast_declared as declared_auth
from golive.security._dast import ProbeRun, run_probes
from golive.security._dependencies import scan_dependencies
from golive.security._gate import judge, scan_all, scan_root
from golive.security._iac import CheckovScanner, GoliveIacScanner, is_iac_candidate
from golive.security._params import (
    DependenciesParams,
    IacParams,
    ProbeParams,
    SastParams,
    ScanParams,
    SecretsParams,
    WorkflowsParams,
)
from golive.security._probe import GuardedClient, Prober
from golive.security._sast import (
    BanditScanner,
    SemgrepScanner,
    python_source,
    rule_languages,
    semgrep_target,
    shipped_rules,
)
from golive.security._secrets import DetectSecretsScanner
from golive.security._tools import list_files
from golive.security._workflows import ZizmorScanner, workflow_files
from golive.security.base import RunState, Scanner, SecurityError, ToolRun

#: What the traffic guard names when it refuses a target.
PROBE_TRAFFIC = "probe traffic"


def scan_inputs(
    params: ScanParams, ctx: CheckContext, tools: tuple[str, ...], *, extra_paths: tuple[str, ...] = ()
) -> Inputs:
    """What a scanner check reads: every file golive could ask it to scan, the baseline, the tools.

    All files under the path (minus the excluded directories) rather than the scanner's own
    selection: a superset never misses an input.
    """
    root = scan_root(params, ctx)
    files = tuple(str(root / name) for name in list_files(root, params.excludes()))
    baseline = str(ctx.path(params.baseline))
    return Inputs(paths=(*files, baseline, *extra_paths), tools=tools)


class SastCheck:
    """Static analysis with bandit and semgrep (golive's shipped rules, offline)."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True
    #: Reads files and runs local tools only: may run while a disruptive check runs.
    offline: ClassVar[bool] = True

    name: ClassVar[str] = "security.sast"
    description: ClassVar[str] = "SAST: bandit and semgrep (shipped rules, offline); gate on severity."
    Params: ClassVar[type[SastParams]] = SastParams
    #: Judges files with pinned tools, never the running system: its verdict can be reused.
    reusable: ClassVar[bool] = True

    def inputs(self, params: SastParams, ctx: CheckContext) -> Inputs:
        """The scanned files, the baseline, local rule files and the analysers."""
        rules = tuple(str(ctx.path(r)) for r in params.rules)
        return scan_inputs(params, ctx, tuple(params.tools), extra_paths=rules)

    async def run(self, params: SastParams, ctx: CheckContext) -> Outcome:
        """Run the selected analysers on the files golive listed and merge what they found."""
        root = scan_root(params, ctx)
        scanners: list[Scanner] = []
        asked: dict[str, int] = {}
        if "bandit" in params.tools:
            files = tuple(list_files(root, params.excludes(), python_source(root)))
            asked["bandit"] = len(files)
            scanners.append(BanditScanner(files=files))
        if "semgrep" in params.tools:
            rules = [*(shipped_rules() if params.shipped_rules else []), *(ctx.path(r) for r in params.rules)]
            if not rules:
                raise CheckError("semgrep has no rule files: keep shipped_rules or name local rules")
            keep = semgrep_target(rule_languages(rules))
            files = tuple(list_files(root, params.excludes(), keep))
            asked["semgrep"] = len(files)
            scanners.append(SemgrepScanner(rules=tuple(rules), files=files))
        if not any(asked.values()):
            return no_data(
                f"nothing to analyse: no source files for {', '.join(asked)} under {params.path} "
                f"(excluding {', '.join(params.excludes())}); point path at the service's source"
            )
        runs = await scan_all(scanners, root, ctx)
        return judge(ctx, params, runs, target=str(root), root=root)


class SecretsCheck:
    """Committed secrets in the working tree and git history; evidence is always redacted."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True
    #: Reads files and runs local tools only: may run while a disruptive check runs.
    offline: ClassVar[bool] = True

    name: ClassVar[str] = "security.secrets"
    description: ClassVar[str] = "Committed secrets (working tree and git history) with detect-secrets."
    Params: ClassVar[type[SecretsParams]] = SecretsParams
    #: Judges files (and git history) with a pinned tool: its verdict can be reused.
    reusable: ClassVar[bool] = True

    def inputs(self, params: SecretsParams, ctx: CheckContext) -> Inputs:
        """The scanned files, the baseline, detect-secrets and, with history, every git ref."""
        found = scan_inputs(params, ctx, ("detect-secrets", "git"))
        if not params.history:
            return found
        return Inputs(paths=found.paths, tools=found.tools, git_refs=(scan_root(params, ctx),))

    async def run(self, params: SecretsParams, ctx: CheckContext) -> Outcome:
        """Scan; only the secret's type, place and hash are ever reported."""
        root = scan_root(params, ctx)
        files = tuple(list_files(root, params.excludes()))
        if not files:
            return no_data(f"nothing to scan: no files under {params.path}; point path at the repository")
        scanner = DetectSecretsScanner(files=files, history=params.history, max_commits=params.max_commits)
        run = await scanner.scan(root, ctx)
        return judge(
            ctx, params, [run], target=str(root), root=root, warnings=scanner.warnings, notes=run.reason
        )


class DependenciesCheck:
    """Known vulnerabilities in locked dependencies (OSV), and a CycloneDX SBOM."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True
    #: Reads files and runs local tools only: may run while a disruptive check runs.
    offline: ClassVar[bool] = True

    name: ClassVar[str] = "security.dependencies"
    description: ClassVar[str] = "Locked dependencies vs OSV (offline export or API); CycloneDX SBOM."
    Params: ClassVar[type[DependenciesParams]] = DependenciesParams

    async def run(self, params: DependenciesParams, ctx: CheckContext) -> Outcome:
        """Parse the lock files, match every pinned version against OSV advisories."""
        root = scan_root(params, ctx)
        scan = await scan_dependencies(params, ctx, root)
        if scan is None:
            return no_data(
                f"nothing to check: no dependency file (requirements, pyproject, poetry/uv lock, "
                f"package-lock.json) under {params.path}; point path at the project or name its files"
            )
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
    #: Reads files and runs local tools only: may run while a disruptive check runs.
    offline: ClassVar[bool] = True

    name: ClassVar[str] = "security.iac"
    description: ClassVar[str] = "IaC: checkov (offline) and golive's Kubernetes/container readiness rules."
    Params: ClassVar[type[IacParams]] = IacParams
    #: Judges files with pinned tools and golive's own rules: its verdict can be reused.
    reusable: ClassVar[bool] = True

    def inputs(self, params: IacParams, ctx: CheckContext) -> Inputs:
        """The scanned files, the baseline and checkov (golive's rules come with its version)."""
        return scan_inputs(params, ctx, tuple(t for t in params.tools if t != "golive"))

    async def run(self, params: IacParams, ctx: CheckContext) -> Outcome:
        """Run the selected scanners over the Dockerfiles and YAML files golive listed."""
        root = scan_root(params, ctx)
        files = tuple(list_files(root, params.excludes(), is_iac_candidate))
        if not files:
            return no_data(
                f"nothing to analyse: no Dockerfile or YAML (Kubernetes, compose) under {params.path}; "
                "point path at the deployment files"
            )
        scanners: list[Scanner] = []
        if "golive" in params.tools:
            scanners.append(GoliveIacScanner(files=files))
        if "checkov" in params.tools:
            scanners.append(CheckovScanner(excludes=params.excludes(), files=files))
        runs = await scan_all(scanners, root, ctx)
        return judge(ctx, params, runs, target=str(root), root=root)


class WorkflowsCheck:
    """GitHub Actions workflows audited by zizmor (offline)."""

    #: Runs golive-side CPU work (a scanner, a test suite): never alongside a performance measurement.
    cpu_heavy: ClassVar[bool] = True
    #: Reads files and runs local tools only: may run while a disruptive check runs.
    offline: ClassVar[bool] = True

    name: ClassVar[str] = "security.workflows"
    description: ClassVar[str] = "GitHub Actions security with zizmor --offline."
    Params: ClassVar[type[WorkflowsParams]] = WorkflowsParams
    #: Judges workflow files with a pinned tool (offline): its verdict can be reused.
    reusable: ClassVar[bool] = True

    def inputs(self, params: WorkflowsParams, ctx: CheckContext) -> Inputs:
        """The files under the path, the baseline and zizmor."""
        return scan_inputs(params, ctx, ("zizmor",))

    async def run(self, params: WorkflowsParams, ctx: CheckContext) -> Outcome:
        """Audit every workflow file in ``.github/workflows`` under the path."""
        root = scan_root(params, ctx)
        files = tuple(workflow_files(root))
        if not files:
            return no_data(
                f"nothing to audit: no workflow or action file under {params.path}/.github; point path "
                "at the repository root that holds them"
            )
        runs = await scan_all([ZizmorScanner(files=files, persona=params.persona)], root, ctx)
        return judge(ctx, params, runs, target=str(root), root=root)


class ProbeCheck:
    """DAST against the running service: only loopback or explicitly allowed hosts."""

    #: Disrupts the service (faults, bursts of traffic): nothing else talking to it runs meanwhile.
    exclusive: ClassVar[bool] = True
    #: ...but it times nothing on this machine: offline work (scanners, test suites) runs beside it.
    disruptive: ClassVar[bool] = True
    name: ClassVar[str] = "security.probe"
    description: ClassVar[str] = (
        "DAST: headers, cookies, CORS, errors, auth on secured routes, injection, body size, rate limit."
    )
    Params: ClassVar[type[ProbeParams]] = ProbeParams
    #: Talks to the service through base_url unless its params give base_url.
    needs_base_url: ClassVar[bool] = True

    @staticmethod
    def uses_base_url(params: ProbeParams) -> bool:
        """The params' own base_url replaces the environment's."""
        return not params.base_url

    async def run(self, params: ProbeParams, ctx: CheckContext) -> Outcome:
        """Refuse disallowed targets before any traffic, then run the bounded probes."""
        base = (ctx.resolve(params.base_url) if params.base_url else ctx.url("")).rstrip("/")
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
            probe = await run_probes(Prober(client=client, base=base, params=params), params, ctx)
        except SecurityError as exc:
            raise CheckError(f"{exc} (after {client.sent} request(s))") from None
        record = declared_auth.state_file(ctx)
        previous, note = declared_auth.load(record)
        current = declared_auth.declared(probe.operations)
        log = probe.log
        log.note(note)
        if previous is not None:
            log.extend(declared_auth.compare(previous, current, base))
        snapshot = declared_auth.dumps(current, base, datetime.now(UTC).isoformat(timespec="seconds"))
        atomic_write(ctx.artifacts_dir / "declared-auth.json", snapshot)
        run = ToolRun(
            tool="golive-probe",
            state=RunState.RAN,
            findings=tuple(log.findings),
            reason=f"{client.sent} request(s) to {base}",
        )
        outcome = judge(
            ctx,
            params,
            [run],
            target=base,
            root=None,
            notes="\n".join(log.lines),
            extra_artifacts=(str(ctx.artifacts_dir / "declared-auth.json"),),
            extra_measurements=_probe_measurements(params, probe, client.sent, time.monotonic() - started),
        )
        if outcome.status is Status.PASS:
            declared_auth.save(record, snapshot)
        return outcome


def _probe_measurements(
    params: ProbeParams, probe: ProbeRun, sent: int, took: float
) -> tuple[Measurement, ...]:
    out = [
        Measurement(name="requests", value=sent, target=f"<= {params.max_requests}"),
        Measurement(name="probe_duration", value=round(took, 3), unit="s"),
        Measurement(name="operations", value=len(probe.operations)),
    ]
    if probe.anonymous is not None:
        out += [
            Measurement(name="operations_probed_anonymously", value=probe.anonymous.probed),
            Measurement(name="operations_refused_anonymously", value=probe.anonymous.refused),
            Measurement(name="operations_not_sent", value=len(probe.anonymous.not_sent)),
        ]
    return tuple(out)
