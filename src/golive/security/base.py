"""The security family's vocabulary: severities, locations, findings, scanners and errors."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from golive.errors import GoliveError

if TYPE_CHECKING:
    from golive.kit.check import CheckContext


class SecurityError(GoliveError):
    """A security input is unusable: bad baseline, unreadable OSV export, refused probe target."""


class Severity(enum.StrEnum):
    """Normalised severity of a finding, from most to least serious."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more serious (critical 4 ... info 0)."""
        return _RANKS[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is as serious as ``other`` or more."""
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str, default: Severity | None = None) -> Severity:
        """Map a tool's severity word (``ERROR``, ``MODERATE``, ``High``...) to a severity."""
        key = text.strip().lower()
        if key in _ALIASES:
            return _ALIASES[key]
        if default is not None:
            return default
        raise ValueError(f"unknown severity {text!r}")


_RANKS = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}
_ALIASES = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "low": Severity.LOW,
    "note": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "none": Severity.INFO,
    "unknown": Severity.INFO,
}


@dataclass(frozen=True, kw_only=True)
class Location:
    """Where a finding is: a file and line (relative to the scanned root), or a URL and parameter."""

    path: str = ""
    line: int = 0
    url: str = ""
    parameter: str = ""
    resource: str = ""

    def __str__(self) -> str:
        if self.url:
            text = self.url
            return f"{text} (parameter {self.parameter})" if self.parameter else text
        text = self.path or "?"
        if self.line:
            text += f":{self.line}"
        if self.resource:
            text += f" ({self.resource})"
        return text


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One normalised security finding, whatever tool produced it.

    ``evidence`` is always redacted by the producer: a secret never reaches a finding.
    ``dedupe_key`` groups findings about the same problem in the same place (e.g. bandit and
    semgrep both flagging CWE-89 on one line); ``fingerprint`` identifies the finding for the
    baseline and for SARIF ``partialFingerprints``.
    """

    tool: str
    rule_id: str
    severity: Severity
    title: str
    location: Location
    fingerprint: str
    category: str = ""
    evidence: str = ""
    advice: str = ""
    help_url: str = ""
    cwe: tuple[str, ...] = ()
    dedupe_key: str = ""
    tools: tuple[str, ...] = ()
    also: tuple[str, ...] = field(default=())
    """Rule ids of the other tools' findings merged into this one."""

    @property
    def reported_by(self) -> tuple[str, ...]:
        """Every tool that reported this finding (the primary tool first)."""
        return self.tools or (self.tool,)


def fingerprint(*parts: str) -> str:
    """A stable identifier of a finding: SHA-256 over its identifying parts (32 hex digits)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


class RunState(enum.StrEnum):
    """Whether a tool ran."""

    RAN = "ran"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True)
class Missed:
    """One item a tool was asked to analyse but did not (a file it could not parse, ...)."""

    item: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Coverage:
    """What a tool covered, measured: ``scanned`` of the ``asked`` items of one kind.

    ``unit`` names the kind (``files``, ``packages``, ``commits``); ``missed`` names the items
    not covered and why (it may hold fewer entries than ``asked - scanned`` when a tool only
    reports a count). ``label`` distinguishes two coverages of one tool (``history``).
    ``incomplete`` says why even ``asked`` falls short of the whole (a shallow clone's history):
    such a coverage is never complete, whatever the counts.
    """

    unit: str
    asked: int
    scanned: int
    missed: tuple[Missed, ...] = ()
    label: str = ""
    incomplete: str = ""

    @property
    def percent(self) -> float:
        """Scanned over asked, in percent (100 when nothing was asked)."""
        return 100.0 if self.asked <= 0 else 100.0 * self.scanned / self.asked

    @property
    def name(self) -> str:
        """The measurement prefix: ``files``, or ``history_commits`` with a label."""
        return f"{self.label}_{self.unit}" if self.label else self.unit


@dataclass(frozen=True, kw_only=True)
class ToolRun:
    """What one tool did during a scan: its findings, what it covered, or why it did not run."""

    tool: str
    state: RunState
    findings: tuple[Finding, ...] = ()
    coverage: tuple[Coverage, ...] = ()
    reason: str = ""
    command: str = ""
    version: str = ""
    information_uri: str = ""


@runtime_checkable
class Scanner(Protocol):
    """One source of findings: a wrapped tool or a set of golive's own rules."""

    name: str

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Scan ``root``; locations in the findings are relative to ``root``."""
        ...
