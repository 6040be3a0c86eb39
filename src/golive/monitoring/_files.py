"""Writing generated files without ever clobbering a user's edits.

golive records the SHA-256 of every file it wrote in ``.golive-init.json``. On a re-run a
file is rewritten only when it is missing or still exactly what golive wrote last time;
a file the user changed is a *conflict*, left alone unless the caller says to overwrite it.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from golive.monitoring.base import MonitoringError

MANIFEST = ".golive-init.json"


class Action(enum.StrEnum):
    """What happens to one file."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"


@dataclass(frozen=True, kw_only=True)
class PlannedFile:
    """One file of a plan."""

    relpath: str
    content: str
    action: Action
    diff: str = ""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _manifest(out_dir: Path) -> dict[str, str]:
    path = out_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    files = data.get("files", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in files.items()}


def plan(out_dir: Path, files: Mapping[str, str]) -> list[PlannedFile]:
    """Compare generated ``files`` with what is on disk."""
    recorded = _manifest(out_dir)
    planned = []
    for rel, content in files.items():
        path = out_dir / rel
        if not path.exists():
            planned.append(PlannedFile(relpath=rel, content=content, action=Action.CREATE))
            continue
        current = path.read_text(encoding="utf-8", errors="replace")
        if current == content:
            planned.append(PlannedFile(relpath=rel, content=content, action=Action.UNCHANGED))
        elif recorded.get(rel) == _digest(current):
            planned.append(PlannedFile(relpath=rel, content=content, action=Action.UPDATE))
        else:
            diff = "".join(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    content.splitlines(keepends=True),
                    fromfile=f"{rel} (yours)",
                    tofile=f"{rel} (golive)",
                )
            )
            planned.append(
                PlannedFile(relpath=rel, content=content, action=Action.CONFLICT, diff=diff)
            )
    return planned


def apply(out_dir: Path, planned: list[PlannedFile], overwrite: Collection[str] = ()) -> list[str]:
    """Write creates, updates and the conflicts named in ``overwrite``; return written paths."""
    recorded = _manifest(out_dir)
    written = []
    try:
        for item in planned:
            if item.action is Action.UNCHANGED:
                recorded[item.relpath] = _digest(item.content)
                continue
            if item.action is Action.CONFLICT and item.relpath not in overwrite:
                continue
            path = out_dir / item.relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(item.content, encoding="utf-8")
            recorded[item.relpath] = _digest(item.content)
            written.append(item.relpath)
        (out_dir / MANIFEST).write_text(
            json.dumps({"generator": "golive init monitoring", "files": recorded}, indent=2,
                       sort_keys=True) + "\n",
            encoding="utf-8",
        )
    except OSError as exc:
        raise MonitoringError(f"cannot write into {out_dir}: {exc.strerror}") from None
    return written
