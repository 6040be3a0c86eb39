"""What an image's package managers installed, read from its final file system.

* dpkg: ``var/lib/dpkg/status`` (installed packages, their source package, conffile
  checksums) and ``var/lib/dpkg/info/*.md5sums``;
* Python: every ``*.dist-info`` directory's ``METADATA`` (name, version) and ``RECORD``
  (SHA-256 of each installed file).

The checksums tell the files a package shipped unchanged from the files the image's build
added or edited: only the latter can hold a secret the build put there.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import PurePosixPath

from golive.security._deps import DEBIAN, PYPI, Package

DPKG_STATUS = "var/lib/dpkg/status"
_MD5SUMS = ("var/lib/dpkg/info/", ".md5sums")

#: A file's text by its path in the final file system (None: absent or not text).
Reader = Callable[[str], str | None]


@dataclass(kw_only=True)
class Inventory:
    """Installed packages (for the SBOM and OSV) and the checksums of the files they shipped."""

    #: Binary packages as installed (the SBOM's components).
    components: list[Package] = field(default_factory=list)
    #: What OSV indexes: Debian source packages, Python distributions.
    matched: list[Package] = field(default_factory=list)
    #: Path → checksums ("md5:…", "sha256:…") its package declares.
    checksums: dict[str, set[str]] = field(default_factory=dict)
    #: Files that are the package databases themselves (checksums, not content).
    databases: set[str] = field(default_factory=set)

    def shipped(self, path: str, md5: str, sha256: str) -> bool:
        """Whether a file is exactly what its package shipped."""
        known = self.checksums.get(path, set())
        return f"md5:{md5}" in known or f"sha256:{sha256}" in known


def _stanzas(text: str) -> Iterator[dict[str, str]]:
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if fields:
            yield fields


def _dpkg(text: str, inventory: Inventory) -> None:
    for fields in _stanzas(text):
        if not fields.get("Status", "").endswith(" installed") or "Package" not in fields:
            continue
        name, version = fields["Package"], fields.get("Version", "")
        inventory.components.append(Package(name=name, version=version, ecosystem=DEBIAN, source=DPKG_STATUS))
        source, _, source_version = fields.get("Source", name).partition(" ")
        source_version = source_version.strip("()") or version
        inventory.matched.append(
            Package(name=source, version=source_version, ecosystem=DEBIAN, source=DPKG_STATUS)
        )
        for line in fields.get("Conffiles", "").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                inventory.checksums.setdefault(parts[0].lstrip("/"), set()).add(f"md5:{parts[1]}")


def _md5sums(text: str, inventory: Inventory) -> None:
    for line in text.splitlines():
        digest, _, path = line.partition("  ")
        if path:
            inventory.checksums.setdefault(path.lstrip("/"), set()).add(f"md5:{digest}")


def _record(path: str, text: str, inventory: Inventory) -> None:
    site = PurePosixPath(path).parent.parent
    for line in text.splitlines():
        name, _, rest = line.partition(",")
        algorithm, _, value = rest.partition(",")[0].partition("=")
        if algorithm != "sha256" or not value:
            continue
        digest = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()
        inventory.checksums.setdefault(_join(site, name), set()).add(f"sha256:{digest}")


def _join(base: PurePosixPath, name: str) -> str:
    parts: list[str] = []
    for part in (base / name).parts:
        if part == "..":
            parts = parts[:-1]
        elif part not in (".", "/"):
            parts.append(part)
    return "/".join(parts)


def _metadata(path: str, text: str, inventory: Inventory) -> None:
    headers = Parser().parsestr(text, headersonly=True)
    name, version = headers.get("Name"), headers.get("Version")
    if name and version:
        package = Package(name=str(name), version=str(version), ecosystem=PYPI, source=path)
        inventory.components.append(package)
        inventory.matched.append(package)


def read_inventory(paths: list[str], read: Reader) -> Inventory:
    """The inventory of a final file system (``paths``: every regular file in it)."""
    inventory = Inventory()
    for path in paths:
        if path == DPKG_STATUS or (path.startswith(_MD5SUMS[0]) and path.endswith(_MD5SUMS[1])):
            inventory.databases.add(path)
        elif PurePosixPath(path).parent.name.endswith(".dist-info") and path.endswith(
            ("/RECORD", "/METADATA")
        ):
            inventory.databases.add(path) if path.endswith("/RECORD") else None
        else:
            continue
        text = read(path)
        if text is None:
            continue
        if path == DPKG_STATUS:
            _dpkg(text, inventory)
        elif path.endswith(".md5sums"):
            _md5sums(text, inventory)
        elif path.endswith("/RECORD"):
            _record(path, text, inventory)
        else:
            _metadata(path, text, inventory)
    return inventory
