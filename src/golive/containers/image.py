"""``container.image``: a built image judged from its real layers (``docker save``).

The image is saved into a temporary directory golive owns and read layer by layer
(:mod:`golive.containers._layers`). Then, as findings of the one security model (baseline,
``findings.sarif``, the severity gate ``fail_on``):

* golive's rules (:mod:`golive.containers._image_rules`): a non-root user, a healthcheck, no
  package-manager cache in any layer, the size within ``max_size_mb``;
* secrets: the secrets scanner of ``security.secrets`` over every text file of every layer,
  so a key a later layer deletes is still found, except the files a package shipped unchanged
  (their checksum matches dpkg's or the Python ``RECORD``'s) and the package databases;
* vulnerabilities: the installed dpkg and Python packages, written as a CycloneDX SBOM
  (``sbom.cdx.json``) and matched against the offline OSV data ``security.dependencies`` uses.

What was covered (layers, files scanned, verified, binary, too large) is measured and stated.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from golive.containers import _image_rules as rules
from golive.containers._docker import docker, docker_env, docker_json
from golive.containers._layers import Layer, LayerFile, SavedImage, read_saved
from golive.containers._packages import Inventory, read_inventory
from golive.containers._params import ImageParams
from golive.containers.base import ContainersError
from golive.kit.check import CheckContext, CheckError
from golive.kit.files import atomic_write
from golive.kit.outcomes import no_data
from golive.results import Measurement, Outcome
from golive.security import _osv
from golive.security._dependencies import dependency_finding
from golive.security._deps import PYPI, Package
from golive.security._gate import judge
from golive.security._secrets import DetectSecretsScanner
from golive.security.base import Coverage, Finding, Location, RunState, SecurityError, ToolRun, fingerprint

Final = dict[str, tuple[Layer, LayerFile]]


@dataclass(frozen=True, kw_only=True)
class _Scope:
    """Which layer files the secrets scanner reads, and why the others are not read."""

    scanned: tuple[str, ...]
    shipped: int
    databases: int
    binary: int
    large: int


def _scope(saved: SavedImage, inventory: Inventory) -> _Scope:
    scanned: list[str] = []
    counts = {"shipped": 0, "databases": 0, "binary": 0, "large": 0}
    for layer in saved.layers:
        for item in layer.files:
            if item.large:
                counts["large"] += 1
            elif not item.text:
                counts["binary"] += 1
            elif item.path in inventory.databases:
                counts["databases"] += 1
            elif inventory.shipped(item.path, item.md5, item.sha256):
                counts["shipped"] += 1
            else:
                scanned.append(f"{layer.label}/{item.path}")
    return _Scope(scanned=tuple(scanned), **counts)


def _relocate(finding: Finding, saved: SavedImage, final: Final) -> Finding:
    """A scanner finding on ``L03/etc/x`` as one on ``/etc/x`` in layer 3 of the image."""
    label, _, path = finding.location.path.partition("/")
    layer = next(layer for layer in saved.layers if layer.label == label)
    shown = final.get(path, (None, None))[0] is layer
    kind = finding.evidence.split(";", 1)[0]
    state = "" if shown else "; deleted or replaced by a later layer, still shipped in it"
    secret = finding.dedupe_key.split("|")[1] if finding.dedupe_key.count("|") >= 2 else finding.fingerprint
    return replace(
        finding,
        title=f"{kind} in /{path}{state}",
        location=Location(path=f"/{path}", line=finding.location.line, resource=f"layer {layer.index}"),
        fingerprint=fingerprint("container-secret", secret, path),
        dedupe_key=f"{finding.dedupe_key}|{label}",
    )


async def _secrets(ctx: CheckContext, saved: SavedImage, scope: _Scope, root: Path) -> ToolRun:
    run = await DetectSecretsScanner(files=scope.scanned, history=False).scan(root, ctx)
    final = saved.final()
    return replace(run, findings=tuple(_relocate(f, saved, final) for f in run.findings))


def _unique(packages: list[Package]) -> list[Package]:
    return list({(p.ecosystem, p.name, p.version): p for p in packages}.values())


async def _vulnerabilities(ctx: CheckContext, params: ImageParams, inventory: Inventory) -> ToolRun:
    try:
        db = await asyncio.to_thread(_osv.load_database, ctx.path(params.osv_db))
    except SecurityError as exc:
        raise CheckError(str(exc)) from None
    packages = _unique(inventory.matched)
    findings = [
        replace(finding, location=replace(finding.location, path=f"/{finding.location.path}"))
        for pkg in packages
        for advisory in db.advisories(pkg)
        if _osv.affects(advisory, pkg)
        for finding in [dependency_finding(pkg, advisory)]
    ]
    return ToolRun(
        tool="osv",
        state=RunState.RAN,
        findings=tuple(findings),
        coverage=(Coverage(unit="packages", asked=len(packages), scanned=len(packages)),),
        reason=f"offline OSV export {params.osv_db} ({db.count} advisories)",
        information_uri="https://osv.dev/",
    )


def _write_sbom(ctx: CheckContext, image: str, inventory: Inventory) -> str:
    from golive.security._sbom import cyclonedx_json

    path = ctx.artifacts_dir / "sbom.cdx.json"
    atomic_write(path, cyclonedx_json(image, _unique(inventory.components)))
    return str(path)


def _measurements(
    params: ImageParams, size: int, saved: SavedImage, scope: _Scope, inventory: Inventory
) -> list[Measurement]:
    python = sum(1 for p in _unique(inventory.components) if p.ecosystem == PYPI)
    return [
        Measurement(
            name="image_size", value=round(size / 1e6, 1), unit="MB", target=f"<= {params.max_size_mb:g}"
        ),
        Measurement(name="layers", value=len(saved.layers)),
        Measurement(name="layer_files", value=sum(len(layer.files) for layer in saved.layers)),
        Measurement(name="files_scanned_for_secrets", value=len(scope.scanned)),
        Measurement(name="files_verified_by_package_checksums", value=scope.shipped),
        Measurement(name="binary_files", value=scope.binary),
        Measurement(name="large_files_not_scanned", value=scope.large),
        Measurement(name="packages_dpkg", value=len(_unique(inventory.components)) - python),
        Measurement(name="packages_python", value=python),
    ]


def _notes(params: ImageParams, saved: SavedImage, scope: _Scope, osv: ToolRun) -> str:
    files = sum(len(layer.files) for layer in saved.layers)
    return (
        f"{len(saved.layers)} layer(s), {files} regular file(s) read: {len(scope.scanned)} text file(s) "
        f"scanned for secrets, {scope.shipped} verified unchanged against their package's checksums, "
        f"{scope.databases} package database file(s), {scope.binary} binary, {scope.large} larger than "
        f"{params.max_file_mb:g} MB (listed, not scanned); packages matched against {osv.reason}"
    )


class ImageCheck:
    """An image's layers: non-root, healthcheck, no secrets or caches, size, SBOM against OSV."""

    #: Reads the image through the Docker daemon, never the service.
    offline: ClassVar[bool] = True
    #: Hashes every layer file and runs the secrets scanner: never beside a performance measurement.
    cpu_heavy: ClassVar[bool] = True

    name: ClassVar[str] = "container.image"
    description: ClassVar[str] = (
        "An image's layers: non-root, healthcheck, no secrets or caches, size, SBOM matched against OSV."
    )
    Params: ClassVar[type[ImageParams]] = ImageParams

    async def run(self, params: ImageParams, ctx: CheckContext) -> Outcome:
        """Save the image, read every layer, then judge it like a scanner check."""
        env = docker_env(ctx, params.docker_host)
        image = ctx.resolve(params.image)
        found = await docker(ctx, ["image", "inspect", image], env)
        if found.returncode != 0:
            return no_data(f"no image {image} on the Docker daemon: build it first (scripts/images.sh)")
        info = (await docker_json(ctx, ["image", "inspect", image], env))[0]
        with tempfile.TemporaryDirectory(prefix="golive-image-") as tmp:
            return await self._judge(params, ctx, env, image, info, Path(tmp))

    async def _judge(
        self,
        params: ImageParams,
        ctx: CheckContext,
        env: dict[str, str],
        image: str,
        info: dict[str, Any],
        tmp: Path,
    ) -> Outcome:
        archive = tmp / "image.tar"
        saved_run = await docker(ctx, ["save", "-o", str(archive), str(info["Id"])], env)
        if saved_run.returncode != 0:
            raise CheckError(f"`docker save {image}` failed: {saved_run.stderr.strip()[:300]}")
        try:
            saved = await asyncio.to_thread(
                read_saved, archive, tmp / "layers", limit=int(params.max_file_mb * 1e6)
            )
        except ContainersError as exc:
            raise CheckError(str(exc)) from None
        archive.unlink()
        final = saved.final()
        inventory = read_inventory(sorted(final), lambda path: _text(saved, final, path))
        scope = _scope(saved, inventory)
        own = [
            *rules.config_findings(image, info.get("Config") or {}, _text(saved, final, "etc/passwd")),
            *rules.cache_findings(image, saved),
            *rules.size_finding(image, int(info.get("Size") or 0), params.max_size_mb),
        ]
        runs = [
            ToolRun(tool=rules.TOOL, state=RunState.RAN, findings=tuple(own), command=f"docker save {image}"),
            await _secrets(ctx, saved, scope, tmp / "layers"),
            await _vulnerabilities(ctx, params, inventory),
        ]
        return judge(
            ctx,
            params,
            runs,
            target=image,
            root=None,
            extra_artifacts=(_write_sbom(ctx, image, inventory),),
            extra_measurements=_measurements(params, int(info.get("Size") or 0), saved, scope, inventory),
            notes=_notes(params, saved, scope, runs[2]),
        )


def _text(saved: SavedImage, final: Final, path: str) -> str | None:
    found = final.get(path)
    return saved.text_of(*found) if found else None
