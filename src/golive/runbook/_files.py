"""Atomic file writes: a crash never leaves a half-written runbook or package."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from golive.runbook.base import RunbookError


def atomic_write(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` to a temporary file next to ``path``, then rename it over ``path``."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise RunbookError(f"cannot write {path}: {exc}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
