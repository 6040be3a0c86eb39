"""Locked dependencies from requirements files, pyproject, poetry.lock, uv.lock, package-lock.json.

Only exact pins are versions one can match advisories against; ranges are reported as
unpinned so the report says what could not be checked.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from golive.security.base import SecurityError

PYPI = "PyPI"
NPM = "npm"

LOCKFILE_PATTERNS = (
    "requirements*.txt",
    "requirements*.lock",
    "requirements/*.txt",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "package-lock.json",
)
"""Files searched for dependencies (relative to the scanned root), when none are named."""

UNSUPPORTED_LOCKFILES = (
    "Pipfile.lock",
    "yarn.lock",
    "pnpm-lock.yaml",
    "npm-shrinkwrap.json",
    "go.sum",
    "Cargo.lock",
    "Gemfile.lock",
    "composer.lock",
    "packages.lock.json",
    "gradle.lockfile",
)
"""Lock files of formats golive cannot read: when discovered, they are reported as not covered."""


@dataclass(frozen=True, kw_only=True)
class Package:
    """One pinned dependency, with where it is declared."""

    name: str
    version: str
    ecosystem: str
    source: str
    line: int = 0

    @property
    def purl(self) -> str:
        """The package URL (``pkg:pypi/pyyaml@5.3.1``)."""
        kind = "pypi" if self.ecosystem == PYPI else "npm"
        name = canonicalize_name(self.name) if self.ecosystem == PYPI else self.name
        name = name.replace("@", "%40") if name.startswith("@") else name
        return f"pkg:{kind}/{name}@{self.version}"


@dataclass(frozen=True, kw_only=True)
class Unpinned:
    """A dependency declared without an exact version (cannot be matched)."""

    name: str
    spec: str
    source: str
    line: int = 0


def _requirement(text: str) -> Requirement | None:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _pin(req: Requirement) -> str | None:
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def parse_requirements(text: str, source: str) -> tuple[list[Package], list[Unpinned]]:
    """``name==version`` lines of a requirements file (options, URLs and hashes skipped)."""
    pkgs: list[Package] = []
    loose: list[Unpinned] = []
    logical = ""
    start = 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not logical:
            start = no
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        entry, logical = logical.strip(), ""
        url = re.match(r"^(?:-e\s+|--editable[= ]\s*)?((?:git|hg|svn|bzr)\+\S+|https?://\S+)", entry)
        if url:
            # Installed from a URL or a VCS: there is no registry version to match.
            name = re.search(r"[#&]egg=([\w.\-]+)", url.group(1))
            label = name.group(1) if name else url.group(1)
            loose.append(Unpinned(name=label, spec="url", source=source, line=start))
            continue
        if not entry or entry.startswith(("-", "file:", ".")):
            continue
        entry = re.sub(r"\s--hash[= ]\S+", "", entry)
        req = _requirement(entry)
        if req is None:
            continue
        version = _pin(req)
        if version:
            pkgs.append(Package(name=req.name, version=version, ecosystem=PYPI, source=source, line=start))
        else:
            loose.append(Unpinned(name=req.name, spec=str(req.specifier), source=source, line=start))
    return pkgs, loose


def _line_of(text: str, needle: str) -> int:
    idx = text.find(needle)
    return text.count("\n", 0, idx) + 1 if idx >= 0 else 0


def parse_pyproject(text: str, source: str) -> tuple[list[Package], list[Unpinned]]:
    """Exact pins in ``[project].dependencies`` and optional dependencies."""
    data = tomllib.loads(text)
    project = data.get("project", {})
    entries = list(project.get("dependencies", []))
    for extra in (project.get("optional-dependencies") or {}).values():
        entries += list(extra)
    pkgs: list[Package] = []
    loose: list[Unpinned] = []
    for entry in entries:
        req = _requirement(entry)
        if req is None:
            continue
        line = _line_of(text, f'"{entry}"')
        version = _pin(req)
        if version:
            pkgs.append(Package(name=req.name, version=version, ecosystem=PYPI, source=source, line=line))
        elif not req.url:
            loose.append(Unpinned(name=req.name, spec=str(req.specifier), source=source, line=line))
    return pkgs, loose


def parse_toml_lock(text: str, source: str) -> list[Package]:
    """``[[package]]`` tables of poetry.lock and uv.lock (the project itself excluded)."""
    data = tomllib.loads(text)
    pkgs = []
    for entry in data.get("package", []):
        src = entry.get("source")
        # The project itself and local/VCS checkouts have no registry version to match.
        if isinstance(src, dict) and (
            {"editable", "virtual", "directory", "path", "git"} & set(src)
            or src.get("type") in ("directory", "file", "git", "url")
        ):
            continue
        if not entry.get("name") or not entry.get("version"):
            continue
        line = _line_of(text, f'name = "{entry["name"]}"')
        pkgs.append(
            Package(
                name=entry["name"], version=str(entry["version"]), ecosystem=PYPI, source=source, line=line
            )
        )
    return pkgs


def parse_package_lock(text: str, source: str) -> list[Package]:
    """package-lock.json, lockfile versions 1 to 3."""
    data = json.loads(text)
    pkgs = []
    packages = data.get("packages")
    if isinstance(packages, dict):
        for key, meta in packages.items():
            if not key or not isinstance(meta, dict) or meta.get("link") or "node_modules/" not in key:
                continue
            name = meta.get("name") or key.rsplit("node_modules/", 1)[1]
            if meta.get("version"):
                line = _line_of(text, f'"{key}"')
                pkgs.append(
                    Package(name=name, version=meta["version"], ecosystem=NPM, source=source, line=line)
                )
        return pkgs

    def walk(deps: dict[str, Any]) -> None:
        for name, meta in deps.items():
            if (
                isinstance(meta, dict)
                and meta.get("version")
                and not str(meta["version"]).startswith(("file:", "link:", "git"))
            ):
                line = _line_of(text, f'"{name}"')
                pkgs.append(
                    Package(name=name, version=meta["version"], ecosystem=NPM, source=source, line=line)
                )
                walk(meta.get("dependencies") or {})

    walk(data.get("dependencies") or {})
    return pkgs


def discover(root: Path, names: list[str] | None, excludes: tuple[str, ...]) -> list[Path]:
    """The dependency files to read: ``names`` (relative to ``root``), or the usual suspects."""
    if names:
        files = []
        for n in names:
            p = root / n
            if not p.is_file():
                raise SecurityError(f"dependency file {n} not found under {root}")
            files.append(p)
        return files
    found: set[Path] = set()
    for pattern in LOCKFILE_PATTERNS:
        found |= set(_matching(root, pattern, excludes))
    return sorted(found)


def _matching(root: Path, pattern: str, excludes: tuple[str, ...]) -> list[Path]:
    out = []
    for p in root.rglob(pattern):
        rel = p.relative_to(root).parts
        if p.is_file() and not any(part in excludes for part in rel[:-1]):
            out.append(p)
    return out


def unsupported(root: Path, excludes: tuple[str, ...]) -> list[Path]:
    """Dependency files golive cannot read: other lock formats, and package.json without a lock."""
    found = {p for name in UNSUPPORTED_LOCKFILES for p in _matching(root, name, excludes)}
    for manifest in _matching(root, "package.json", excludes):
        if (manifest.parent / "package-lock.json").is_file() or "node_modules" in manifest.parts:
            continue
        try:
            declared = json.loads(manifest.read_text(encoding="utf-8")).get("dependencies")
        except (OSError, ValueError, AttributeError):
            declared = True  # unreadable: say so rather than guess it is empty
        if declared:
            found.add(manifest)
    return sorted(found)


def read_packages(files: list[Path], root: Path) -> tuple[list[Package], list[Unpinned]]:
    """Every pinned package (de-duplicated per ecosystem, name, version) and the unpinned ones."""
    pkgs: list[Package] = []
    loose: list[Unpinned] = []
    for path in files:
        source = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        try:
            text = path.read_text(encoding="utf-8")
            if path.name == "package-lock.json":
                pkgs += parse_package_lock(text, source)
            elif path.name in ("poetry.lock", "uv.lock"):
                pkgs += parse_toml_lock(text, source)
            elif path.name == "pyproject.toml":
                p, u = parse_pyproject(text, source)
                pkgs += p
                loose += u
            else:
                p, u = parse_requirements(text, source)
                pkgs += p
                loose += u
        except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
            raise SecurityError(f"cannot read dependencies from {source}: {exc}") from None
    unique: dict[tuple[str, str, str], Package] = {}
    for pkg in pkgs:
        name = canonicalize_name(pkg.name) if pkg.ecosystem == PYPI else pkg.name
        unique.setdefault((pkg.ecosystem, name, pkg.version), pkg)
    return list(unique.values()), loose
