"""CycloneDX 1.5 SBOM of the locked dependencies (cyclonedx-python-lib)."""

from __future__ import annotations

from collections.abc import Iterable

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot5
from packageurl import PackageURL

from golive.security._deps import Package


def cyclonedx_json(service: str, packages: Iterable[Package]) -> str:
    """The SBOM as CycloneDX 1.5 JSON text: the service as the root, every package a library."""
    bom = Bom()
    root = Component(name=service or "service", type=ComponentType.APPLICATION, bom_ref="golive:root")
    bom.metadata.component = root
    components = []
    seen: set[str] = set()
    for pkg in sorted(packages, key=lambda p: (p.ecosystem, p.name.lower(), p.version)):
        if pkg.purl in seen:
            continue
        seen.add(pkg.purl)
        component = Component(
            name=pkg.name,
            version=pkg.version,
            type=ComponentType.LIBRARY,
            purl=PackageURL.from_string(pkg.purl),
            bom_ref=pkg.purl,
        )
        bom.components.add(component)
        components.append(component)
    bom.register_dependency(root, components)
    return str(JsonV1Dot5(bom).output_as_string(indent=2))
