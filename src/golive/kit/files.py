"""Writing files: atomically, and, for generated files, without clobbering a user's edits.

:func:`atomic_write` writes to a temporary file beside the target and renames it over the
target, so a crash never leaves a half-written report, runbook or config.

:class:`GeneratedFiles` is the one policy every ``golive init`` follows: golive records the
SHA-256 of each file it wrote in a manifest (``.golive-init.json`` in the output directory).
On a re-run a file is rewritten only when it is missing or still exactly what golive wrote
last time; a file the user changed is a *conflict*, left alone unless overwritten on purpose
(``--force``).
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import hashlib
import json
import os
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from golive.errors import GoliveError

MANIFEST = ".golive-init.json"


class FileWriteError(GoliveError):
    """A file could not be written."""


def atomic_write(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write ``data`` to a temporary file next to ``path``, fsync it, rename it over ``path``."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8", errors="replace") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise FileWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class Action(enum.StrEnum):
    """What happens to one generated file."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"


@dataclass(frozen=True, kw_only=True)
class PlannedFile:
    """One file of a plan: where it goes, its content, and what writing it would do."""

    relpath: str
    content: str
    action: Action
    diff: str = ""
    mode: int = 0o644


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class GeneratedFiles:
    """Files one generator writes under ``root`` (see the module docstring for the policy)."""

    root: Path
    generator: str

    def _recorded(self) -> dict[str, str]:
        path = self.root / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        files = data.get("files", {}) if isinstance(data, dict) else {}
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}

    def plan(self, files: Mapping[str, str], modes: Mapping[str, int] | None = None) -> list[PlannedFile]:
        """Compare generated ``files`` (relative path → content) with what is on disk."""
        recorded = self._recorded()
        planned = []
        for rel, content in files.items():
            mode = (modes or {}).get(rel, 0o644)
            path = self.root / rel
            if not path.exists():
                planned.append(PlannedFile(relpath=rel, content=content, action=Action.CREATE, mode=mode))
                continue
            current = path.read_text(encoding="utf-8", errors="replace")
            if current == content:
                action, diff = Action.UNCHANGED, ""
            elif recorded.get(rel) == _digest(current):
                action, diff = Action.UPDATE, ""
            else:
                action, diff = Action.CONFLICT, _diff(rel, current, content)
            planned.append(PlannedFile(relpath=rel, content=content, action=action, diff=diff, mode=mode))
        return planned

    def apply(self, planned: list[PlannedFile], overwrite: Collection[str] = ()) -> list[str]:
        """Write creates, updates and the conflicts named in ``overwrite``; return written paths."""
        recorded = self._recorded()
        written = []
        for item in planned:
            if item.action is Action.CONFLICT and item.relpath not in overwrite:
                continue
            if item.action is not Action.UNCHANGED:
                atomic_write(self.root / item.relpath, item.content, item.mode)
                written.append(item.relpath)
            recorded[item.relpath] = _digest(item.content)
        manifest = {"generator": self.generator, "files": dict(sorted(recorded.items()))}
        atomic_write(self.root / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return written

    def write(self, files: Mapping[str, str], *, force: bool = False) -> tuple[list[str], list[PlannedFile]]:
        """Plan and apply in one step: (written paths, conflicts left alone)."""
        planned = self.plan(files)
        conflicts = [p for p in planned if p.action is Action.CONFLICT]
        overwrite = [p.relpath for p in conflicts] if force else []
        written = self.apply(planned, overwrite)
        return written, [] if force else conflicts


def _diff(rel: str, current: str, content: str) -> str:
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            content.splitlines(keepends=True),
            fromfile=f"{rel} (yours)",
            tofile=f"{rel} (golive)",
        )
    )
