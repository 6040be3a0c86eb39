"""The security the OpenAPI document declares, compared with the previous review's.

Each review records, per operation, the security schemes the document requires
(``.golive/security-probe/<environment>.<criterion>.declared-auth.json`` under the spec's
directory). An operation that required authentication in the recorded map and no longer
does is a finding: the document changed in the dangerous direction, whatever the probes saw.
The map is recorded only when the check passes, so a removal keeps being reported until it
is fixed or accepted in the baseline (with an owner, a reason and an expiry).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from golive.kit.check import CheckContext
from golive.kit.files import atomic_write
from golive.security._openapi import Operation
from golive.security._probe import ProbeLog
from golive.security.base import Severity

FORMAT = "golive-declared-auth/v1"
STATE_DIR = ".golive/security-probe"

DeclaredMap = dict[str, list[str]]


def declared(ops: list[Operation]) -> DeclaredMap:
    """``{"METHOD /path": [scheme, ...]}``; an empty list for an operation declared public."""
    return {op.key: list(op.schemes) if op.secured else [] for op in ops}


def state_file(ctx: CheckContext) -> Path:
    """Where this criterion's map is recorded for this environment."""
    safe = re.sub(r"[^\w.\-]", "_", f"{ctx.environment_name}.{ctx.criterion_id}")
    return ctx.path(f"{STATE_DIR}/{safe}.declared-auth.json")


def load(path: Path) -> tuple[DeclaredMap | None, str]:
    """The recorded map (None when there is none) and a note about it."""
    if not path.is_file():
        return (
            None,
            f"declared security: no previous record ({path.name}); this review records one if it passes",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or not isinstance(data.get("operations"), dict):
            raise ValueError("unknown format")
        ops = {str(k): [str(s) for s in v] for k, v in data["operations"].items()}
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        return None, f"declared security: previous record {path} unreadable ({exc}); not compared"
    return ops, f"declared security: compared with the record of {data.get('recorded', 'a previous review')}"


def dumps(current: DeclaredMap, base: str, recorded: str) -> str:
    """The record's JSON text."""
    doc = {
        "format": FORMAT,
        "target": base,
        "recorded": recorded,
        "operations": dict(sorted(current.items())),
    }
    return json.dumps(doc, indent=2) + "\n"


def save(path: Path, text: str) -> None:
    """Record the map (atomically: a reader never sees half of it)."""
    atomic_write(path, text)


def compare(previous: DeclaredMap, current: DeclaredMap, base: str) -> ProbeLog:
    """Findings for operations that lost their declared security; notes for every other change."""
    log = ProbeLog()
    changes = []
    for key in sorted(set(previous) | set(current)):
        before, after = previous.get(key), current.get(key)
        if before == after:
            continue
        if before and after is not None and not after:
            method, _, path = key.partition(" ")
            log.add(
                "golive.probe.auth.declared-security-removed",
                Severity.HIGH,
                f"{key} no longer declares authentication (was: {', '.join(before)})",
                base.rstrip("/") + path,
                evidence=f"previous review: {key} required {', '.join(before)}; now: none",
                advice="Find the change that removed the auth dependency from this operation and restore "
                "it; if the operation is meant to be public now, accept the finding in the baseline.",
                cwe=("CWE-306",),
            )
        changes.append(f"{key}: {_show(before)} -> {_show(after)}")
    if changes:
        log.note("declared security changed since the previous review: " + "; ".join(changes[:20]))
    return log


def _show(schemes: list[str] | None) -> str:
    if schemes is None:
        return "absent"
    return ", ".join(schemes) if schemes else "public"
