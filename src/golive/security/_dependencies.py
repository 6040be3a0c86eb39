"""``security.dependencies``: pinned packages matched against OSV advisories, and an SBOM.

Advisories come from the OSV API (``online: auto|always``) or from an offline OSV export
(``osv_db``); :func:`scan_dependencies` returns the tool run and what a reader should know
(the data source, stale exports, unpinned dependencies) for the gate to judge.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from packaging.utils import canonicalize_name

from golive.kit.check import CheckContext, CheckError
from golive.kit.files import atomic_write
from golive.security import _osv
from golive.security._deps import (
    PYPI,
    Package,
    Unpinned,
    discover,
    read_dependencies,
    unreadable_reason,
    unsupported,
)
from golive.security._params import DependenciesParams
from golive.security.base import (
    Coverage,
    Finding,
    Location,
    Missed,
    RunState,
    SecurityError,
    ToolRun,
    fingerprint,
)

Advisories = dict[Package, list[dict[str, Any]]]


def dependency_finding(pkg: Package, advisory: dict[str, Any]) -> Finding:
    """The finding for one advisory that affects one pinned package."""
    vid = str(advisory.get("id"))
    aliases = [str(a) for a in advisory.get("aliases", []) or []]
    names = sorted({vid, *aliases})
    canonical = next((n for n in names if n.startswith("CVE-")), names[0])
    fixed = _osv.fixed_versions(advisory, pkg)
    summary = str(advisory.get("summary") or advisory.get("details", "")[:120] or vid)
    advice = (
        f"Upgrade {pkg.name} to {' or '.join(fixed)}."
        if fixed
        else f"No fixed version of {pkg.name} is known: replace it or mitigate, and track {vid}."
    )
    refs = [r.get("url", "") for r in advisory.get("references", []) or [] if r.get("type") == "ADVISORY"]
    name = _osv.normalize_name(pkg.ecosystem, pkg.name)
    return Finding(
        tool="osv",
        rule_id=vid,
        severity=_osv.advisory_severity(advisory),
        title=f"{pkg.name} {pkg.version}: {' '.join(summary.split())}",
        location=Location(path=pkg.source, line=pkg.line, resource=pkg.purl),
        fingerprint=fingerprint("dep", canonical, pkg.ecosystem, name, pkg.version),
        category="dependencies",
        evidence=f"{pkg.purl} is affected by {', '.join(names)}",
        advice=advice,
        help_url=refs[0] if refs else f"https://osv.dev/vulnerability/{vid}",
        cwe=tuple(str(c) for c in (advisory.get("database_specific") or {}).get("cwe_ids", []) or []),
        dedupe_key="|".join(("dep", pkg.ecosystem, name, pkg.version, canonical)),
    )


async def online_advisories(ctx: CheckContext, api: str, packages: list[Package]) -> Advisories:
    """Advisories per package from the OSV API (one batch query, then each advisory once)."""
    base = api.rstrip("/")
    queries = [
        {"package": {"name": p.name, "ecosystem": p.ecosystem}, "version": p.version} for p in packages
    ]
    response = await ctx.http.post(f"{base}/v1/querybatch", json={"queries": queries}, timeout=15)
    response.raise_for_status()
    results = response.json().get("results", [])
    cache: dict[str, dict[str, Any]] = {}
    out: Advisories = {}
    for pkg, result in zip(packages, results, strict=False):
        for vuln in (result or {}).get("vulns", []) or []:
            vid = str(vuln.get("id"))
            if vid not in cache:
                r = await ctx.http.get(f"{base}/v1/vulns/{vid}", timeout=15)
                r.raise_for_status()
                cache[vid] = r.json()
            out.setdefault(pkg, []).append(cache[vid])
    return out


@dataclass(kw_only=True)
class _Matched:
    advisories: Advisories
    source: str
    warnings: list[str] = field(default_factory=list)


async def _online(ctx: CheckContext, params: DependenciesParams, packages: list[Package]) -> _Matched | str:
    """The API's answer, or why the check falls back to the offline export."""
    try:
        found = await online_advisories(ctx, params.osv_api, packages)
    except (httpx.HTTPError, ValueError) as exc:
        if params.online == "always" or not params.osv_db:
            raise CheckError(f"OSV API {params.osv_api} unreachable: {type(exc).__name__}") from None
        return f"OSV API unreachable ({type(exc).__name__}); used the offline export"
    return _Matched(advisories=found, source=f"OSV API {params.osv_api}")


async def _offline(ctx: CheckContext, params: DependenciesParams, packages: list[Package]) -> _Matched:
    if not params.osv_db:
        raise CheckError("no OSV data: set osv_db to an offline export, or online: auto/always")
    try:
        db = await asyncio.to_thread(_osv.load_database, ctx.path(params.osv_db))
    except SecurityError as exc:
        raise CheckError(str(exc)) from None
    matched = _Matched(
        advisories={p: db.advisories(p) for p in packages},
        source=f"offline OSV export {params.osv_db} ({db.count} advisories)",
    )
    age = db.age_days()
    if age is not None and age > params.max_age_days:
        matched.warnings.append(
            f"offline OSV export is {age:.0f} days old (newest record); older than "
            f"{params.max_age_days:g} days: refresh it"
        )
    return matched


async def _advisories(ctx: CheckContext, params: DependenciesParams, packages: list[Package]) -> _Matched:
    if params.online in ("auto", "always") and packages:
        online = await _online(ctx, params, packages)
        if isinstance(online, _Matched):
            return online
        offline = await _offline(ctx, params, packages)
        offline.warnings.insert(0, online)
        return offline
    return await _offline(ctx, params, packages)


def _unpinned_warning(unpinned: list[Unpinned]) -> str:
    return (
        f"{len(unpinned)} dependenc{'y' if len(unpinned) == 1 else 'ies'} not pinned to an "
        f"exact version (not checked): " + ", ".join(f"{u.name}{u.spec} ({u.source})" for u in unpinned[:10])
    )


def _write_sbom(ctx: CheckContext, root: Path, packages: list[Package]) -> str | None:
    """The CycloneDX SBOM artifact's path; None when cyclonedx-python-lib is not installed."""
    try:
        from golive.security._sbom import cyclonedx_json
    except ImportError:
        return None
    sbom = ctx.artifacts_dir / "sbom.cdx.json"
    atomic_write(sbom, cyclonedx_json(root.name, packages))
    return str(sbom)


@dataclass(frozen=True, kw_only=True)
class DependencyScan:
    """What :func:`scan_dependencies` found, for the gate."""

    run: ToolRun
    packages: int
    warnings: tuple[str, ...]
    artifacts: tuple[str, ...]
    notes: str


def _coverage(
    packages: list[Package], unpinned: list[Unpinned], files: list[Path], unreadable: list[Path], root: Path
) -> tuple[Coverage, ...]:
    """Packages with a version matched against OSV, of those declared; files read, of those found."""
    pinned = {(p.ecosystem, _osv.normalize_name(p.ecosystem, p.name)) for p in packages}
    missed: dict[str, Missed] = {}
    for u in unpinned:
        key = canonicalize_name(u.name) if u.spec != "url" else u.name
        if (PYPI, key) in pinned or key in missed:
            continue
        why = (
            "installed from a URL or VCS: no version to match"
            if u.spec == "url"
            else f"not pinned ({u.spec})"
        )
        missed[key] = Missed(item=f"{u.name} ({u.source})", reason=why)
    asked = len(pinned) + len(missed)
    covered = [Coverage(unit="packages", asked=asked, scanned=len(pinned), missed=tuple(missed.values()))]
    if unreadable:
        gaps = tuple(
            Missed(item=p.relative_to(root).as_posix(), reason=unreadable_reason(p)) for p in unreadable
        )
        total = len(files) + len(gaps)
        covered.append(Coverage(unit="files", asked=total, scanned=len(files), missed=gaps))
    return tuple(covered)


async def scan_dependencies(
    params: DependenciesParams, ctx: CheckContext, root: Path
) -> DependencyScan | None:
    """Parse the lock files under ``root`` and match every pinned version against OSV.

    None when there is nothing to judge: no dependency file at all.
    """
    try:
        files = discover(root, params.files or None, params.excludes())
        read = read_dependencies(files, root)
    except SecurityError as exc:
        raise CheckError(str(exc)) from None
    packages, unpinned = read.packages, read.unpinned
    unreadable = [] if params.files else unsupported(root, params.excludes())
    if not files and not unreadable:
        return None
    matched = (
        await _advisories(ctx, params, packages)
        if packages
        else _Matched(advisories={}, source="nothing pinned")
    )
    findings = [
        dependency_finding(pkg, adv)
        for pkg, advisories in matched.advisories.items()
        for adv in advisories
        if _osv.affects(adv, pkg)
    ]
    warnings = list(matched.warnings)
    if unpinned:
        warnings.append(_unpinned_warning(unpinned))
    artifacts = []
    if params.sbom:
        sbom = _write_sbom(ctx, root, packages)
        if sbom is None:
            warnings.append("cyclonedx-python-lib is not installed: no SBOM written")
        else:
            artifacts.append(sbom)
    run = ToolRun(
        tool="osv",
        state=RunState.RAN,
        findings=tuple(findings),
        coverage=_coverage(packages, unpinned, files, unreadable, root),
        reason=matched.source,
        information_uri="https://osv.dev/",
    )
    return DependencyScan(
        run=run,
        packages=len(packages),
        warnings=tuple(warnings),
        artifacts=tuple(artifacts),
        notes=_notes(read.counts, unreadable, root, len(packages), matched.source),
    )


def _notes(counts: dict[str, int], unreadable: list[Path], root: Path, total: int, source: str) -> str:
    """What was read (each file with its package count), what could not be, and the OSV source."""
    read = ", ".join(f"{name} ({n} package{'' if n == 1 else 's'})" for name, n in counts.items())
    notes = f"{total} pinned package(s) from {read or 'no readable file'}; matched against {source}"
    if unreadable:
        notes += "\nnot read: " + "; ".join(
            f"{p.relative_to(root).as_posix()} ({unreadable_reason(p)})" for p in unreadable
        )
    return notes
