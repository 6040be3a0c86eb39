"""The accepted-findings baseline (``.golive/security-baseline.json``).

Each entry names a finding by fingerprint and says who accepted it, why, and until when.
An expired entry suppresses nothing and is reported, so accepted risks are revisited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import Field, ValidationError

from golive.kit.model import Frozen
from golive.security.base import SecurityError

DEFAULT_BASELINE = ".golive/security-baseline.json"
"""Where checks look for the baseline, relative to the spec's directory."""


class _Entry(Frozen):
    fingerprint: str = Field(min_length=8)
    owner: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    expires: date
    rule_id: str = ""
    location: str = ""


class _File(Frozen):
    version: int = Field(default=1, ge=1, le=1)
    accepted: list[_Entry] = Field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class BaselineEntry:
    """One accepted finding."""

    fingerprint: str
    owner: str
    reason: str
    expires: date
    rule_id: str = ""
    location: str = ""


def load_baseline(path: Path) -> tuple[BaselineEntry, ...]:
    """Read a baseline file; a missing file is an empty baseline."""
    if not path.exists():
        return ()
    try:
        data = _File.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        raise SecurityError(f"{path}: not a valid security baseline: {exc}") from None
    return tuple(
        BaselineEntry(
            fingerprint=e.fingerprint,
            owner=e.owner,
            reason=e.reason,
            expires=e.expires,
            rule_id=e.rule_id,
            location=e.location,
        )
        for e in data.accepted
    )


def dump_baseline(entries: list[BaselineEntry]) -> str:
    """The JSON text of a baseline file holding ``entries``."""
    doc = {
        "version": 1,
        "accepted": [
            {
                "fingerprint": e.fingerprint,
                "rule_id": e.rule_id,
                "location": e.location,
                "owner": e.owner,
                "reason": e.reason,
                "expires": e.expires.isoformat(),
            }
            for e in entries
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
