"""Merging findings from several tools, applying the baseline, and the gate.

A :class:`FindingsReport` is what every security check produces and what the Markdown,
JSON and SARIF renderers consume.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from golive.security.base import Finding, Severity, ToolRun
from golive.security.baseline import BaselineEntry


@dataclass(frozen=True, kw_only=True)
class Suppressed:
    """A finding hidden by an accepted (unexpired) baseline entry."""

    finding: Finding
    entry: BaselineEntry


@dataclass(frozen=True, kw_only=True)
class FindingsReport:
    """The merged findings of one or more scans, with what the baseline suppressed."""

    findings: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...] = ()
    expired: tuple[BaselineEntry, ...] = ()
    runs: tuple[ToolRun, ...] = ()
    warnings: tuple[str, ...] = ()
    target: str = ""

    def counts(self) -> dict[Severity, int]:
        """Active findings per severity (every severity present, most serious first)."""
        counter = Counter(f.severity for f in self.findings)
        return {s: counter.get(s, 0) for s in Severity}

    def blocking(self, threshold: Severity) -> tuple[Finding, ...]:
        """Active findings at or above ``threshold``."""
        return tuple(f for f in self.findings if f.severity.at_least(threshold))


def _rank_key(f: Finding) -> tuple[int, str, str, int, str]:
    return (-f.severity.rank, f.location.path or f.location.url, f.tool, f.location.line, f.rule_id)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most serious first, then by place."""
    return sorted(findings, key=_rank_key)


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """De-duplicate findings about the same problem in the same place.

    Findings sharing a ``dedupe_key`` (or, without one, a fingerprint) collapse into the
    most serious one, which records every reporting tool and the other rule ids.
    """
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.dedupe_key or f.fingerprint, []).append(f)
    merged = []
    for group in groups.values():
        # golive's own rules carry the most specific titles and advice: they lead on a tie.
        group.sort(key=lambda f: (-f.severity.rank, f.tool != "golive", f.tool))
        primary = group[0]
        tools = tuple(dict.fromkeys(t for f in group for t in f.reported_by))
        also = tuple(dict.fromkeys([*primary.also, *(f"{f.tool}:{f.rule_id}" for f in group[1:])]))
        advice = primary.advice or next((f.advice for f in group if f.advice), "")
        merged.append(replace(primary, tools=tools, also=also, advice=advice))
    return sort_findings(merged)


def build_report(
    runs: Sequence[ToolRun],
    entries: Sequence[BaselineEntry],
    *,
    today: date | None = None,
    extra: Iterable[Finding] = (),
    warnings: Sequence[str] = (),
    target: str = "",
) -> FindingsReport:
    """Merge the runs' findings, then let unexpired baseline entries suppress matches."""
    day = today or date.today()
    merged = merge([*(f for r in runs for f in r.findings), *extra])
    live = {e.fingerprint: e for e in entries if e.expires >= day}
    expired = tuple(e for e in entries if e.expires < day)
    active: list[Finding] = []
    suppressed: list[Suppressed] = []
    for f in merged:
        entry = live.get(f.fingerprint)
        if entry is None:
            active.append(f)
        else:
            suppressed.append(Suppressed(finding=f, entry=entry))
    notes = list(warnings)
    for e in expired:
        notes.append(
            f"baseline entry {e.fingerprint[:12]} ({e.rule_id or 'finding'}, owner {e.owner}) "
            f"expired on {e.expires.isoformat()}: it no longer suppresses anything"
        )
    return FindingsReport(
        findings=tuple(active),
        suppressed=tuple(suppressed),
        expired=expired,
        runs=tuple(runs),
        warnings=tuple(notes),
        target=target,
    )


def combine(reports: Iterable[FindingsReport]) -> FindingsReport:
    """One report from several (e.g. every security criterion of a review), de-duplicated."""
    items = list(reports)
    suppressed: dict[str, Suppressed] = {}
    for r in items:
        for s in r.suppressed:
            suppressed.setdefault(s.finding.fingerprint, s)
    active = [f for f in merge(f for r in items for f in r.findings) if f.fingerprint not in suppressed]
    return FindingsReport(
        findings=tuple(active),
        suppressed=tuple(suppressed.values()),
        expired=tuple(dict.fromkeys(e for r in items for e in r.expired)),
        runs=tuple(run for r in items for run in r.runs),
        warnings=tuple(dict.fromkeys(w for r in items for w in r.warnings)),
        target=", ".join(dict.fromkeys(r.target for r in items if r.target)),
    )
