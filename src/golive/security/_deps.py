"""Locked dependencies from requirements files, pyproject and the lock files of pip-tools, uv,
poetry, pipenv, npm, pnpm, bun, yarn and Go (:mod:`golive.security._locks` for the last ones).

Only exact pins are versions one can match advisories against; ranges are reported as
unpinned so the report says what could not be checked, unless a lock file pins the package.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from golive.security import _locks
from golive.security.base import SecurityError

PYPI = "PyPI"
NPM = "npm"
GO = _locks.GO
DEBIAN = "Debian"

LOCKFILE_PATTERNS = (
    "requirements*.txt",
    "requirements*.lock",
    "requirements/*.txt",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "bun.lock",
    "yarn.lock",
    "go.sum",
)
"""Files searched for dependencies (relative to the scanned root), when none are named."""

UNSUPPORTED_LOCKFILES = (
    "bun.lockb",
    "Cargo.lock",
    "Gemfile.lock",
    "composer.lock",
    "packages.lock.json",
    "gradle.lockfile",
)
"""Lock files of formats golive cannot read: when discovered, they are reported as not covered."""

_NODE_LOCKS = (
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "bun.lock",
    "bun.lockb",
    "yarn.lock",
)
_UNSUPPORTED = (
    "a dependency format golive cannot read: export exact pins to requirements.txt or package-lock.json"
)
_LOCK_PARSERS = {
    "Pipfile.lock": (PYPI, _locks.parse_pipfile_lock),
    "pnpm-lock.yaml": (NPM, _locks.parse_pnpm_lock),
    "bun.lock": (NPM, _locks.parse_bun_lock),
    "yarn.lock": (NPM, _locks.parse_yarn_lock),
    "go.sum": (GO, _locks.parse_go_sum),
}


def unreadable_reason(path: Path) -> str:
    """Why golive cannot read this dependency file, and what to do."""
    if path.name == "bun.lockb":
        return (
            "bun's binary lock file cannot be read: write the text bun.lock instead "
            "(`bun install --save-text-lockfile`; the default since bun 1.2)"
        )
    if path.name == "package.json":
        return "dependencies declared without a lock file: commit the package manager's lock file"
    return _UNSUPPORTED


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
        if self.ecosystem == GO:
            return f"pkg:golang/{self.name}@v{self.version}"
        if self.ecosystem == DEBIAN:
            return f"pkg:deb/debian/{self.name}@{quote(self.version, safe='')}"
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


_line_of = _locks.line_of


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
        if "node_modules" in manifest.parts or _node_locked(manifest, root):
            continue
        try:
            declared = json.loads(manifest.read_text(encoding="utf-8")).get("dependencies")
        except (OSError, ValueError, AttributeError):
            declared = True  # unreadable: say so rather than guess it is empty
        if declared:
            found.add(manifest)
    return sorted(found)


def _node_locked(manifest: Path, root: Path) -> bool:
    """A lock file next to package.json or in a workspace root above it."""
    for folder in (manifest.parent, *manifest.parent.parents):
        if any((folder / name).is_file() for name in _NODE_LOCKS):
            return True
        if folder == root or not folder.is_relative_to(root):
            return False
    return False


@dataclass(frozen=True, kw_only=True)
class Read:
    """What the dependency files gave: packages, unpinned ones, and a count per file."""

    packages: list[Package]
    unpinned: list[Unpinned]
    counts: dict[str, int]
    """Packages (pinned ones) read from each file, by its path relative to the root."""


def _parse(path: Path, text: str, source: str) -> tuple[list[Package], list[Unpinned]]:
    if path.name in _LOCK_PARSERS:
        ecosystem, parse = _LOCK_PARSERS[path.name]
        found = [
            Package(name=n, version=v, ecosystem=ecosystem, source=source, line=line)
            for n, v, line in parse(text)
        ]
        return found, []
    if path.name in ("package-lock.json", "npm-shrinkwrap.json"):
        return parse_package_lock(text, source), []
    if path.name in ("poetry.lock", "uv.lock"):
        return parse_toml_lock(text, source), []
    if path.name == "pyproject.toml":
        return parse_pyproject(text, source)
    return parse_requirements(text, source)


def read_dependencies(files: list[Path], root: Path) -> Read:
    """Every pinned package (de-duplicated per ecosystem, name, version), the unpinned ones that
    no lock file pins, and how many packages each file gave."""
    pkgs: list[Package] = []
    loose: list[Unpinned] = []
    counts: dict[str, int] = {}
    for path in files:
        source = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        try:
            found, unpinned = _parse(path, path.read_text(encoding="utf-8"), source)
        except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
            raise SecurityError(f"cannot read dependencies from {source}: {exc}") from None
        counts[source] = len(found)
        pkgs += found
        loose += unpinned
    unique: dict[tuple[str, str, str], Package] = {}
    for pkg in pkgs:
        name = canonicalize_name(pkg.name) if pkg.ecosystem == PYPI else pkg.name
        unique.setdefault((pkg.ecosystem, name, pkg.version), pkg)
    # A range in pyproject.toml that uv.lock (or any lock) pins is pinned by the lock.
    locked = {canonicalize_name(p.name) for p in unique.values() if p.ecosystem == PYPI}
    loose = [u for u in loose if u.spec == "url" or canonicalize_name(u.name) not in locked]
    return Read(packages=list(unique.values()), unpinned=loose, counts=counts)
