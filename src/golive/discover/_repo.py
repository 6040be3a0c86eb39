"""Reading a repository safely: a bounded walk, bounded text reads, tolerant parsers.

Discovery never executes anything from the repository, never follows a symbolic link out of
it, skips dependency and build directories, and turns a file it cannot parse into an
*unknown* (a sentence for ``--explain``), never an exception.
"""

from __future__ import annotations

import io
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from golive.discover.facts import Fact, Source

#: Directories that hold dependencies, build output or caches: never the service's own files.
SKIP_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "vendor",
        "third_party",
        "dist",
        "build",
        ".next",
        ".nuxt",
        "coverage",
        "htmlcov",
        "target",
        ".idea",
        ".vscode",
        ".terraform",
    }
)
MAX_FILES = 5000
MAX_DEPTH = 8
MAX_BYTES = 512 * 1024


@dataclass(kw_only=True)
class Repo:
    """One repository under discovery: its files, and the unknowns reading them produced."""

    root: Path
    files: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    _text: dict[str, str | None] = field(default_factory=dict)
    _names: frozenset[str] = frozenset()

    @classmethod
    def open(cls, root: Path) -> Repo:
        """Walk ``root`` (bounded, no symlinks out, no dependency directories)."""
        repo = cls(root=root.resolve())
        repo.files = _walk(repo.root, repo.unknowns)
        repo._names = frozenset(repo.files)
        return repo

    def exists(self, rel: str) -> bool:
        """Whether the walk found the file ``rel``."""
        return rel in self._names

    def glob(self, pattern: str) -> list[str]:
        """Files whose path (relative, POSIX) fully matches the regular expression ``pattern``."""
        rx = re.compile(pattern)
        return [f for f in self.files if rx.fullmatch(f)]

    def named(self, *names: str) -> list[str]:
        """Files with one of ``names`` as their file name, shallowest first."""
        found = [f for f in self.files if f.rsplit("/", 1)[-1] in names]
        return sorted(found, key=lambda f: (f.count("/"), f))

    def text(self, rel: str) -> str | None:
        """The file's text (bounded, undecodable bytes replaced), or ``None`` when unreadable."""
        if rel not in self._text:
            self._text[rel] = _read(self.root, rel)
        return self._text[rel]

    def toml(self, rel: str) -> dict[str, Any] | None:
        """The TOML document ``rel``, or ``None`` (and an unknown) when it does not parse."""
        text = self.text(rel)
        if text is None:
            return None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.unknowns.append(f"{rel} is not valid TOML ({exc}): it was not read.")
            return None

    def json(self, rel: str) -> Any:
        """The JSON document ``rel``, or ``None`` (and an unknown) when it does not parse."""
        text = self.text(rel)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            self.unknowns.append(f"{rel} is not valid JSON ({exc}): it was not read.")
            return None

    def yaml(self, rel: str, *, quiet: bool = False) -> list[Any]:
        """Every document of the YAML file ``rel`` (with line numbers); ``[]`` when it does not parse."""
        text = self.text(rel)
        if text is None:
            return []
        try:
            return [d for d in YAML(typ="rt", pure=True).load_all(io.StringIO(text)) if d is not None]
        except Exception as exc:  # noqa: BLE001 - ruamel raises many types on bad input
            if not quiet:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                self.unknowns.append(f"{rel} is not valid YAML ({first}): it was not read.")
            return []

    def source(self, rel: str, needle: str | re.Pattern[str] | None = None, detail: str = "") -> Source:
        """A :class:`Source` for ``rel``, at the first line holding ``needle`` when given."""
        line = line_of(self.text(rel) or "", needle) if needle is not None else None
        return Source(path=rel, line=line, detail=detail)

    def fact(
        self, value: Any, rel: str, needle: str | re.Pattern[str] | None = None, detail: str = ""
    ) -> Fact[Any]:
        """A fact found in ``rel`` (at ``needle``'s line)."""
        return Fact(value=value, source=self.source(rel, needle, detail))


def line_of(text: str, needle: str | re.Pattern[str]) -> int | None:
    """The 1-based line of the first occurrence of ``needle`` (text or pattern) in ``text``."""
    if isinstance(needle, str):
        at = text.find(needle)
        return None if at < 0 else text.count("\n", 0, at) + 1
    match = needle.search(text)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def yaml_line(node: Any, key: Any) -> int | None:
    """The 1-based line of ``key`` in a ruamel mapping (or index in a sequence), when known."""
    try:
        if isinstance(node, list):
            return int(node.lc.item(key)[0]) + 1  # type: ignore[attr-defined]
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None


def _walk(root: Path, unknowns: list[str]) -> list[str]:
    found: list[str] = []
    for current, dirs, files in os.walk(root, followlinks=False):
        base = Path(current)
        depth = len(base.relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if _walkable(base / d, d, depth))
        for name in sorted(files):
            path = base / name
            if path.is_symlink() and not _inside(root, path):
                continue
            found.append(path.relative_to(root).as_posix())
            if len(found) >= MAX_FILES:
                unknowns.append(f"The repository has more than {MAX_FILES} files: only the first were read.")
                return found
    return found


def _walkable(path: Path, name: str, depth: int) -> bool:
    if name in SKIP_DIRS or name.endswith(".egg-info") or depth >= MAX_DEPTH:
        return False
    # A linked directory may lead anywhere (or loop): discovery reads the repository only.
    return not path.is_symlink()


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def _read(root: Path, rel: str) -> str | None:
    path = root / rel
    if not _inside(root, path):
        return None
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES)
    except OSError:
        return None
    if b"\0" in data[:4096]:
        return None
    return data.decode("utf-8", errors="replace")
