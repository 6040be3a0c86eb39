"""Check types of the security family: ``security.sast``, ``.secrets``, ``.dependencies``,
``.iac``, ``.workflows`` and ``.probe``.

Each scanner check writes ``findings.json``, ``findings.sarif`` and ``findings.md`` to its
artifacts directory and fails when an unwaived finding reaches ``fail_on`` (default high).
Tools that are not installed are skipped with the reason; when nothing could run the
criterion is ``skipped``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, field_validator

from golive.checks._common import excerpt, redact
from golive.checks.base import Check, CheckContext, CheckError, Params
from golive.results import Evidence, Measurement, Outcome, Status
from golive.security import _osv
from golive.security._dast import Prober
from golive.security._deps import Package, discover, read_packages
from golive.security._iac import CheckovScanner, GoliveIacScanner
from golive.security._probe import GuardedClient, ProbeLog, check_target, operations
from golive.security._sast import BanditScanner, SemgrepScanner, shipped_rules
from golive.security._secrets import DetectSecretsScanner
from golive.security._tools import DEFAULT_EXCLUDES
from golive.security._workflows import ZizmorScanner
from golive.security.base import (
    Finding,
    Location,
    RunState,
    Scanner,
    SecurityError,
    Severity,
    ToolRun,
    fingerprint,
)
from golive.security.baseline import DEFAULT_BASELINE, load_baseline
from golive.security.findings import build_report
from golive.security.render import dumps, render_markdown, render_text, summary_line
from golive.security.sarif import repo_prefix, to_sarif


class GateParams(Params):
    """Params every security check shares: the gate and the baseline."""

    fail_on: Severity = Field(
        default=Severity.HIGH, description="Fail when an unwaived finding is at least this severe."
    )
    baseline: str = Field(
        default=DEFAULT_BASELINE,
        description="Accepted findings (owner, reason, expiry), relative to the spec.",
    )


class ScanParams(GateParams):
    """Params of the scanner checks."""

    path: str = Field(default=".", description="Directory to scan, relative to the spec.")
    exclude: list[str] = Field(
        default_factory=list, description="Directory names to skip, on top of .git, .venv, ..."
    )

    def excludes(self) -> tuple[str, ...]:
        """The directories no scanner enters."""
        return tuple(dict.fromkeys([*DEFAULT_EXCLUDES, *self.exclude]))


def _root(params: ScanParams, ctx: CheckContext) -> Path:
    root = ctx.path(params.path)
    if not root.is_dir():
        raise CheckError(f"{params.path} is not a directory")
    return root


async def _finish(
    ctx: CheckContext,
    params: GateParams,
    runs: Sequence[ToolRun],
    *,
    target: str,
    root: Path | None,
    warnings: Sequence[str] = (),
    extra_artifacts: Sequence[str] = (),
    extra_measurements: Sequence[Measurement] = (),
    notes: str = "",
) -> Outcome:
    """Merge, apply the baseline, write the artifacts and judge the gate."""
    try:
        entries = load_baseline(ctx.path(params.baseline))
    except SecurityError as exc:
        raise CheckError(str(exc)) from None
    report = build_report(runs, entries, warnings=warnings, target=target, today=date.today())
    ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "findings.json": dumps(report),
        "findings.sarif": json.dumps(to_sarif(report, prefix=repo_prefix(root) if root else ""), indent=2)
        + "\n",
        "findings.md": render_markdown(report, params.fail_on),
    }
    artifacts = [*extra_artifacts]
    for name, text in files.items():
        (ctx.artifacts_dir / name).write_text(text, encoding="utf-8")
        artifacts.append(str(ctx.artifacts_dir / name))
    counts = report.counts()
    measurements = (
        *(Measurement(name=f"findings_{s.value}", value=n) for s, n in counts.items()),
        Measurement(name="findings_suppressed", value=len(report.suppressed)),
        *extra_measurements,
    )
    reproducer = redact(" && ".join(r.command for r in runs if r.command))
    text = render_text(report, params.fail_on)
    if notes:
        text = notes + "\n" + text
    evidence = Evidence(excerpt=excerpt(text), artifacts=tuple(artifacts))
    ran = [r for r in runs if r.state is RunState.RAN]
    if not ran:
        reasons = "; ".join(f"{r.tool}: {r.reason}" for r in runs)
        return Outcome(
            status=Status.SKIPPED,
            summary=f"no scanner could run ({reasons})",
            evidence=evidence,
            reproducer=reproducer,
        )
    blocking = report.blocking(params.fail_on)
    skipped = [f"{r.tool} skipped" for r in runs if r.state is not RunState.RAN]
    summary = summary_line(report, params.fail_on)
    if skipped:
        summary += f" ({', '.join(skipped)})"
    if report.warnings:
        summary += f"; {len(report.warnings)} warning(s)"
    if blocking:
        top = blocking[0]
        summary = f"{summary}; e.g. {top.severity.value}: {top.title} at {top.location}"
    return Outcome(
        status=Status.FAIL if blocking else Status.PASS,
        summary=redact(summary),
        measurements=measurements,
        evidence=evidence,
        reproducer=reproducer,
    )


async def _scan_all(scanners: Sequence[Scanner], root: Path, ctx: CheckContext) -> list[ToolRun]:
    return list(await asyncio.gather(*(s.scan(root, ctx) for s in scanners)))


# ---------------------------------------------------------------------------------------
# security.sast


SastTool = Literal["bandit", "semgrep"]
SAST_TOOLS: tuple[SastTool, ...] = ("bandit", "semgrep")


class SastParams(ScanParams):
    """Params of ``security.sast``."""

    tools: list[SastTool] = Field(default_factory=lambda: list(SAST_TOOLS))
    rules: list[str] = Field(
        default_factory=list, description="Extra local semgrep rule files (never registry rules)."
    )
    shipped_rules: bool = Field(default=True, description="Use the rule files that ship with golive.")


class SastCheck:
    """Static analysis with bandit and semgrep (golive's shipped rules, offline)."""

    name: ClassVar[str] = "security.sast"
    description: ClassVar[str] = "SAST: bandit and semgrep (shipped rules, offline); gate on severity."
    Params: ClassVar[type[SastParams]] = SastParams

    async def run(self, params: SastParams, ctx: CheckContext) -> Outcome:
        """Run the selected analysers and merge what they found."""
        root = _root(params, ctx)
        scanners: list[Scanner] = []
        if "bandit" in params.tools:
            scanners.append(BanditScanner(excludes=params.excludes()))
        if "semgrep" in params.tools:
            rules = [*(shipped_rules() if params.shipped_rules else []), *(ctx.path(r) for r in params.rules)]
            if not rules:
                raise CheckError("semgrep has no rule files: keep shipped_rules or name local rules")
            scanners.append(SemgrepScanner(rules=tuple(rules), excludes=params.excludes()))
        runs = await _scan_all(scanners, root, ctx)
        return await _finish(ctx, params, runs, target=str(root), root=root)


# ---------------------------------------------------------------------------------------
# security.secrets


class SecretsParams(ScanParams):
    """Params of ``security.secrets``."""

    history: bool = Field(default=True, description="Also scan lines added in git history.")
    max_commits: int = Field(default=200, ge=1, le=100_000)


class SecretsCheck:
    """Committed secrets in the working tree and git history; evidence is always redacted."""

    name: ClassVar[str] = "security.secrets"
    description: ClassVar[str] = "Committed secrets (working tree and git history) with detect-secrets."
    Params: ClassVar[type[SecretsParams]] = SecretsParams

    async def run(self, params: SecretsParams, ctx: CheckContext) -> Outcome:
        """Scan; only the secret's type, place and hash are ever reported."""
        root = _root(params, ctx)
        scanner = DetectSecretsScanner(
            excludes=params.excludes(), history=params.history, max_commits=params.max_commits
        )
        runs = await _scan_all([scanner], root, ctx)
        warnings = [r.reason for r in runs if r.state is RunState.RAN and r.reason]
        return await _finish(ctx, params, runs, target=str(root), root=root, warnings=warnings)


# ---------------------------------------------------------------------------------------
# security.dependencies


class DependenciesParams(ScanParams):
    """Params of ``security.dependencies``."""

    files: list[str] = Field(
        default_factory=list, description="Dependency files; default: discovered under path."
    )
    osv_db: str | None = Field(
        default=None, description="Offline OSV export: a directory of JSON records or a zip."
    )
    online: Literal["never", "auto", "always"] = Field(
        default="never",
        description="Query the OSV API: never; auto (when reachable, else osv_db); always.",
    )
    osv_api: str = Field(default="https://api.osv.dev", description="OSV API base URL.")
    max_age_days: float = Field(default=7, gt=0, description="Warn when the offline export is older.")
    sbom: bool = Field(default=True, description="Write a CycloneDX SBOM artifact.")


_OSV_ADVICE = "Upgrade {name} to {fixed}."


def _dep_finding(pkg: Package, advisory: dict[str, Any]) -> Finding:
    vid = str(advisory.get("id"))
    aliases = [str(a) for a in advisory.get("aliases", []) or []]
    names = sorted({vid, *aliases})
    canonical = next((n for n in names if n.startswith("CVE-")), names[0])
    fixed = _osv.fixed_versions(advisory, pkg)
    summary = str(advisory.get("summary") or advisory.get("details", "")[:120] or vid)
    advice = (
        _OSV_ADVICE.format(name=pkg.name, fixed=" or ".join(fixed))
        if fixed
        else f"No fixed version of {pkg.name} is known: replace it or mitigate, and track {vid}."
    )
    refs = [r.get("url", "") for r in advisory.get("references", []) or [] if r.get("type") == "ADVISORY"]
    return Finding(
        tool="osv",
        rule_id=vid,
        severity=_osv.advisory_severity(advisory),
        title=f"{pkg.name} {pkg.version}: {' '.join(summary.split())}",
        location=Location(path=pkg.source, line=pkg.line, resource=pkg.purl),
        fingerprint=fingerprint(
            "dep", canonical, pkg.ecosystem, _osv.normalize_name(pkg.ecosystem, pkg.name), pkg.version
        ),
        category="dependencies",
        evidence=f"{pkg.purl} is affected by {', '.join(names)}",
        advice=advice,
        help_url=refs[0] if refs else f"https://osv.dev/vulnerability/{vid}",
        cwe=tuple(str(c) for c in (advisory.get("database_specific") or {}).get("cwe_ids", []) or []),
        dedupe_key="|".join(
            ("dep", pkg.ecosystem, _osv.normalize_name(pkg.ecosystem, pkg.name), pkg.version, canonical)
        ),
    )


async def _online_advisories(
    ctx: CheckContext, api: str, packages: list[Package]
) -> dict[Package, list[dict[str, Any]]]:
    base = api.rstrip("/")
    queries = [
        {"package": {"name": p.name, "ecosystem": p.ecosystem}, "version": p.version} for p in packages
    ]
    response = await ctx.http.post(f"{base}/v1/querybatch", json={"queries": queries}, timeout=15)
    response.raise_for_status()
    results = response.json().get("results", [])
    cache: dict[str, dict[str, Any]] = {}
    out: dict[Package, list[dict[str, Any]]] = {}
    for pkg, result in zip(packages, results, strict=False):
        for vuln in (result or {}).get("vulns", []) or []:
            vid = str(vuln.get("id"))
            if vid not in cache:
                r = await ctx.http.get(f"{base}/v1/vulns/{vid}", timeout=15)
                r.raise_for_status()
                cache[vid] = r.json()
            out.setdefault(pkg, []).append(cache[vid])
    return out


class DependenciesCheck:
    """Known vulnerabilities in locked dependencies (OSV), and a CycloneDX SBOM."""

    name: ClassVar[str] = "security.dependencies"
    description: ClassVar[str] = "Locked dependencies vs OSV (offline export or API); CycloneDX SBOM."
    Params: ClassVar[type[DependenciesParams]] = DependenciesParams

    async def run(self, params: DependenciesParams, ctx: CheckContext) -> Outcome:
        """Parse the lock files, match every pinned version against OSV advisories."""
        root = _root(params, ctx)
        try:
            files = discover(root, params.files or None, params.excludes())
            packages, unpinned = read_packages(files, root)
        except SecurityError as exc:
            raise CheckError(str(exc)) from None
        if not files:
            raise CheckError(f"no dependency files (requirements, pyproject, locks) under {params.path}")
        warnings: list[str] = []
        source = ""
        matched: dict[Package, list[dict[str, Any]]] = {}
        if params.online in ("auto", "always") and packages:
            try:
                matched = await _online_advisories(ctx, params.osv_api, packages)
                source = f"OSV API {params.osv_api}"
            except (httpx.HTTPError, ValueError) as exc:
                if params.online == "always" or not params.osv_db:
                    raise CheckError(f"OSV API {params.osv_api} unreachable: {type(exc).__name__}") from None
                warnings.append(f"OSV API unreachable ({type(exc).__name__}); used the offline export")
        if not source:
            if not params.osv_db:
                raise CheckError("no OSV data: set osv_db to an offline export, or online: auto/always")
            try:
                db = await asyncio.to_thread(_osv.load_database, ctx.path(ctx.resolve(params.osv_db)))
            except SecurityError as exc:
                raise CheckError(str(exc)) from None
            source = f"offline OSV export {params.osv_db} ({db.count} advisories)"
            age = db.age_days()
            if age is not None and age > params.max_age_days:
                warnings.append(
                    f"offline OSV export is {age:.0f} days old (newest record); older than "
                    f"{params.max_age_days:g} days: refresh it"
                )
            matched = {p: db.advisories(p) for p in packages}
        findings = [
            _dep_finding(pkg, adv)
            for pkg, advisories in matched.items()
            for adv in advisories
            if _osv.affects(adv, pkg)
        ]
        if unpinned:
            warnings.append(
                f"{len(unpinned)} dependenc{'y' if len(unpinned) == 1 else 'ies'} not pinned to an "
                f"exact version (not checked): "
                + ", ".join(f"{u.name}{u.spec} ({u.source})" for u in unpinned[:10])
            )
        run = ToolRun(
            tool="osv",
            state=RunState.RAN,
            findings=tuple(findings),
            reason=source,
            information_uri="https://osv.dev/",
        )
        artifacts = []
        if params.sbom:
            try:
                from golive.security._sbom import cyclonedx_json
            except ImportError:
                warnings.append("cyclonedx-python-lib is not installed: no SBOM written")
            else:
                ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
                sbom = ctx.artifacts_dir / "sbom.cdx.json"
                sbom.write_text(cyclonedx_json(root.name, packages), encoding="utf-8")
                artifacts.append(str(sbom))
        names = ", ".join(str(f.relative_to(root)) for f in files)
        notes = f"{len(packages)} pinned package(s) from {names}; matched against {source}"
        return await _finish(
            ctx,
            params,
            [run],
            target=str(root),
            root=root,
            warnings=warnings,
            extra_artifacts=artifacts,
            notes=notes,
            extra_measurements=(Measurement(name="packages", value=len(packages)),),
        )


# ---------------------------------------------------------------------------------------
# security.iac


IacTool = Literal["checkov", "golive"]
IAC_TOOLS: tuple[IacTool, ...] = ("checkov", "golive")


class IacParams(ScanParams):
    """Params of ``security.iac``."""

    tools: list[IacTool] = Field(default_factory=lambda: list(IAC_TOOLS))


class IacCheck:
    """Dockerfiles, Kubernetes manifests and compose files: checkov plus golive's rules."""

    name: ClassVar[str] = "security.iac"
    description: ClassVar[str] = "IaC: checkov (offline) and golive's Kubernetes/container readiness rules."
    Params: ClassVar[type[IacParams]] = IacParams

    async def run(self, params: IacParams, ctx: CheckContext) -> Outcome:
        """Run the selected scanners over the directory."""
        root = _root(params, ctx)
        scanners: list[Scanner] = []
        if "golive" in params.tools:
            scanners.append(GoliveIacScanner(excludes=params.excludes()))
        if "checkov" in params.tools:
            scanners.append(CheckovScanner(excludes=params.excludes()))
        runs = await _scan_all(scanners, root, ctx)
        return await _finish(ctx, params, runs, target=str(root), root=root)


# ---------------------------------------------------------------------------------------
# security.workflows


class WorkflowsParams(ScanParams):
    """Params of ``security.workflows``."""

    persona: Literal["regular", "pedantic", "auditor"] = "regular"


class WorkflowsCheck:
    """GitHub Actions workflows audited by zizmor (offline)."""

    name: ClassVar[str] = "security.workflows"
    description: ClassVar[str] = "GitHub Actions security with zizmor --offline."
    Params: ClassVar[type[WorkflowsParams]] = WorkflowsParams

    async def run(self, params: WorkflowsParams, ctx: CheckContext) -> Outcome:
        """Audit ``.github/workflows`` under the path."""
        root = _root(params, ctx)
        runs = await _scan_all([ZizmorScanner(persona=params.persona)], root, ctx)
        return await _finish(ctx, params, runs, target=str(root), root=root)


# ---------------------------------------------------------------------------------------
# security.probe


class AuthSettings(Params):
    """How ``security.probe`` gets a valid token for the auth probes."""

    token: str | None = Field(default=None, description="A bearer token, e.g. ${API_TOKEN}.")
    register_path: str | None = Field(default=None, description="POST here first to create an account.")
    register_body: dict[str, Any] = Field(
        default_factory=lambda: {"email": "{email}", "password": "{password}", "name": "{name}"},
        description="JSON body; {email}, {password}, {name} are generated per run.",
    )
    login_path: str | None = Field(default=None, description="POST here to log in.")
    login_body: dict[str, Any] = Field(default_factory=lambda: {"email": "{email}", "password": "{password}"})
    token_path: str = Field(default="$.access_token", description="JSONPath of the token in the answer.")
    signing_key: str | None = Field(
        default=None,
        description="HS256 key (e.g. ${JWT_SECRET}) to forge a correctly signed but expired token.",
    )


class RateLimitSettings(Params):
    """The burst of the rate-limit probe."""

    path: str
    method: Literal["GET", "POST"] = "GET"
    body: dict[str, Any] | None = Field(
        default=None, description="JSON body; {email}, {password} are generated per run."
    )
    limit: int = Field(ge=1, le=5000, description="The limit the service promises for this burst.")
    margin: float = Field(default=0.1, ge=0, le=1, description="Tolerated overshoot (0.1 = 10%).")
    concurrency: int = Field(default=4, ge=1, le=32)


ProbeName = Literal["headers", "cookies", "cors", "errors", "auth", "injection", "body_size", "rate_limit"]
PROBES: tuple[ProbeName, ...] = (
    "headers",
    "cookies",
    "cors",
    "errors",
    "auth",
    "injection",
    "body_size",
    "rate_limit",
)


class ProbeParams(GateParams):
    """Params of ``security.probe``."""

    base_url: str | None = Field(default=None, description="Default: the environment's base_url.")
    openapi: str | None = Field(default=None, description="Default: the environment's openapi_path.")
    headers_path: str | None = Field(default=None, description="Default: the environment's health_path.")
    probes: list[ProbeName] = Field(default_factory=lambda: list(PROBES))
    auth: AuthSettings = Field(default_factory=AuthSettings)
    rate_limit: RateLimitSettings | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1, le=8 * 1024 * 1024)
    body_size_path: str | None = None
    max_routes: int = Field(default=40, ge=1, le=500)
    max_requests: int = Field(default=2000, ge=10, le=20_000)
    request_timeout: float = Field(default=5.0, gt=0, le=60)

    @field_validator("probes")
    @classmethod
    def _some(cls, value: list[ProbeName]) -> list[ProbeName]:
        if not value:
            raise ValueError("select at least one probe")
        return value


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
        env = ctx.environment
        base = ctx.resolve(params.base_url or env.base_url).rstrip("/")
        allow = tuple(ctx.resolve(h) for h in env.allow_hosts)
        try:
            check_target(base, allow)
        except SecurityError as exc:
            raise CheckError(str(exc)) from None
        client = GuardedClient(
            http=ctx.http,
            allow_hosts=allow,
            max_requests=params.max_requests,
            request_timeout=params.request_timeout,
            deadline=time.monotonic() + ctx.timeout * 0.9,
        )
        log = ProbeLog()
        prober = Prober(client, base, params, log)
        started = time.monotonic()
        try:
            ops = await self._operations(prober, params, ctx)
            selected = set(params.probes)
            if "auth" in selected or "injection" in selected:
                await prober.obtain_token(params.auth, ctx.resolve)
            headers_path = params.headers_path or env.health_path
            if "headers" in selected:
                await prober.headers(headers_path)
            if "cors" in selected:
                await prober.cors(headers_path)
            if "errors" in selected:
                await prober.errors(ops)
            if "auth" in selected:
                key = ctx.resolve(params.auth.signing_key) if params.auth.signing_key else None
                await prober.auth(ops, key or None)
            if "injection" in selected:
                await prober.injection(ops)
            if "body_size" in selected:
                await prober.body_size(ops)
            if "rate_limit" in selected:
                await prober.rate_limit()
            if "cookies" in selected:
                prober.check_cookies()
        except SecurityError as exc:
            raise CheckError(f"{exc} (after {client.sent} request(s))") from None
        run = ToolRun(
            tool="golive-probe",
            state=RunState.RAN,
            findings=tuple(log.findings),
            reason=f"{client.sent} request(s) to {base}",
        )
        notes = "\n".join(log.lines)
        return await _finish(
            ctx,
            params,
            [run],
            target=base,
            root=None,
            notes=notes,
            extra_measurements=(
                Measurement(name="requests", value=client.sent, target=f"<= {params.max_requests}"),
                Measurement(name="probe_duration", value=round(time.monotonic() - started, 3), unit="s"),
            ),
        )

    async def _operations(self, prober: Prober, params: ProbeParams, ctx: CheckContext) -> list[Any]:
        path = params.openapi or ctx.environment.openapi_path
        r = await prober.send("GET", ctx.resolve(path))
        if r is None or r.status_code != 200:
            raise CheckError(
                f"OpenAPI document {path} not available ({r.status_code if r is not None else 'no response'})"
            )
        try:
            return operations(r.json())
        except (ValueError, SecurityError) as exc:
            raise CheckError(f"OpenAPI document {path}: {exc}") from None


CHECK_TYPES: list[type[Check]] = [
    SastCheck,
    SecretsCheck,
    DependenciesCheck,
    IacCheck,
    WorkflowsCheck,
    ProbeCheck,
]
"""The security check types, registered by :func:`golive.checks.builtin_types`."""
