"""Copies of storefront with one deliberate, realistic defect each, reviewed by the real CLI.

Each case names the criterion golive must hold responsible; the healthy copy of the same
selection must reach GO, so a NO-GO always comes from the defect, not from the set-up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STOREFRONT = REPO / "examples" / "storefront"
_IGNORE = shutil.ignore_patterns(
    ".golive", "__pycache__", ".coverage", "artifacts", "*.egg-info", ".pytest_cache"
)


@dataclass(frozen=True, kw_only=True)
class Defect:
    """One realistic defect a team could ship, and the criterion that must catch it."""

    name: str
    only: tuple[str, ...]
    culprit: str
    mutate: Callable[[Path], None]
    #: Static checks need no running stack (faster); checks of the live service do.
    up: bool = False
    env: dict[str, str] = field(default_factory=dict)
    #: ``fail`` for a measured miss; ``error`` only where golive cannot judge (a missing tool).
    expect: str = "fail"


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """What the review said."""

    decision: str
    statuses: dict[str, str]
    summaries: dict[str, str]
    output: str


def copy_storefront(into: Path) -> Path:
    """A private copy of storefront whose code the review's processes import (not the installed one)."""
    target = into / "storefront"
    shutil.copytree(STOREFRONT, target, ignore=_IGNORE)
    return target


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def review(copy: Path, only: tuple[str, ...], *, up: bool, env: dict[str, str] | None = None) -> Verdict:
    """``golive review COPY --only ...`` as a user runs it; the copy's ``src`` shadows the installed code."""
    ports = {
        k: str(_free_port())
        for k in ("STOREFRONT_PORT", "PROMETHEUS_PORT", "ALERTMANAGER_PORT", "DRILL_WEBHOOK_PORT")
    }
    child_env = {
        **os.environ,
        **ports,
        "PYTHONPATH": os.pathsep.join([str(copy / "src"), os.environ.get("PYTHONPATH", "")]),
        "COLUMNS": "200",
        **(env or {}),
    }
    out = copy / "verdict"
    argv = [sys.executable, "-m", "golive", "review", str(copy), "--no-history", "-f", "json", "-o", str(out)]
    for word in only:
        argv += ["--only", word]
    if not up:
        argv.append("--no-up")
    proc = subprocess.run(argv, env=child_env, capture_output=True, text=True, timeout=900)
    report = out / "readiness-report.json"
    assert report.exists(), (
        f"no report (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    data = json.loads(report.read_text())
    return Verdict(
        decision=data["decision"],
        statuses={r["criterion_id"]: r["status"] for r in data["results"]},
        summaries={r["criterion_id"]: r["summary"] for r in data["results"]},
        output=proc.stdout[-3000:] + proc.stderr[-2000:],
    )


def replace_in(path: Path, old: str, new: str) -> None:
    """Edit a file of the copy; the edit must apply (a stale case is a failing case)."""
    text = path.read_text()
    assert old in text, f"{path.name} no longer contains {old!r}: update this defect"
    path.write_text(text.replace(old, new, 1))
