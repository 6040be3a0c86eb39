"""Rendering a findings report: Markdown remediation plan, plain text, JSON.

Renderers only format: findings were redacted when they were made, and every text field is
passed through :func:`golive.kit.text.redact` once more on the way out.
"""

from __future__ import annotations

import json
from typing import Any

from golive._serialize import from_jsonable, to_jsonable
from golive.kit.text import redact
from golive.security.base import Finding, RunState, Severity
from golive.security.findings import FindingsReport

REPORT_FORMAT = "golive-security-findings/v1"


def _one_line(text: str) -> str:
    return redact(" ".join(text.split()))


def _md(text: str) -> str:
    return _one_line(text).replace("|", "\\|")


def summary_line(report: FindingsReport, threshold: Severity) -> str:
    """``2 findings at or above high (critical 1, high 1); 3 below; 1 accepted in baseline``."""
    counts = report.counts()
    blocking = report.blocking(threshold)
    parts = ", ".join(f"{s.value} {n}" for s, n in counts.items() if n and s.at_least(threshold))
    below = len(report.findings) - len(blocking)
    text = f"{len(blocking)} finding{'s' if len(blocking) != 1 else ''} at or above {threshold.value}" + (
        f" ({parts})" if parts else ""
    )
    if below:
        text += f"; {below} below"
    if report.suppressed:
        text += f"; {len(report.suppressed)} accepted in the baseline"
    return text


def _finding_md(f: Finding) -> list[str]:
    lines = [f"- **{_md(f.title)}** — `{_md(str(f.location))}`"]
    lines.append(
        f"  - Rule: `{f.rule_id}` ({', '.join(f.reported_by)})"
        + (f"; also {', '.join(f.also)}" if f.also else "")
        + (f"; {', '.join(f.cwe)}" if f.cwe else "")
    )
    if f.evidence:
        lines.append(f"  - Evidence: {_md(f.evidence)}")
    if f.advice:
        lines.append(f"  - Fix: {_md(f.advice)}")
    if f.help_url:
        lines.append(f"  - More: {f.help_url}")
    lines.append(f"  - Fingerprint: `{f.fingerprint}`")
    return lines


def render_markdown(report: FindingsReport, threshold: Severity = Severity.HIGH) -> str:
    """A remediation plan: findings grouped by severity, most serious first."""
    out = ["# Security findings", ""]
    if report.target:
        out += [f"Target: `{report.target}`", ""]
    out += [f"**{summary_line(report, threshold)}.**", ""]
    out += ["| Tool | Status | Findings |", "| --- | --- | --- |"]
    for run in report.runs:
        note = f" ({_md(run.reason)})" if run.reason else ""
        out.append(f"| {run.tool} | {run.state.value}{note} | {len(run.findings)} |")
    out.append("")
    for w in report.warnings:
        out.append(f"> Warning: {_md(w)}")
    if report.warnings:
        out.append("")
    out += ["## Remediation plan", ""]
    if not report.findings:
        out += ["No open findings.", ""]
    for severity in Severity:
        group = [f for f in report.findings if f.severity is severity]
        if not group:
            continue
        gate = " (blocks the gate)" if severity.at_least(threshold) else ""
        out += [f"### {severity.value.capitalize()} — {len(group)}{gate}", ""]
        for f in group:
            out += _finding_md(f)
        out.append("")
    if report.suppressed:
        out += [
            "## Accepted in the baseline",
            "",
            "| Finding | Location | Owner | Until | Reason |",
            "| --- | --- | --- | --- | --- |",
        ]
        for s in report.suppressed:
            out.append(
                f"| {_md(s.finding.title)} | `{_md(str(s.finding.location))}` | {_md(s.entry.owner)} "
                f"| {s.entry.expires.isoformat()} | {_md(s.entry.reason)} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_text(report: FindingsReport, threshold: Severity = Severity.HIGH, limit: int = 50) -> str:
    """Plain text for a terminal or a report excerpt: one line per finding."""
    lines = [summary_line(report, threshold)]
    for run in report.runs:
        if run.state is not RunState.RAN:
            lines.append(f"  {run.tool}: {run.state.value} - {_one_line(run.reason)}")
    for w in report.warnings:
        lines.append(f"  warning: {_one_line(w)}")
    for f in report.findings[:limit]:
        lines.append(
            f"[{f.severity.value}] {f.location}: {_one_line(f.title)} ({'+'.join(f.reported_by)} {f.rule_id})"
        )
        if f.advice:
            lines.append(f"    fix: {_one_line(f.advice)}")
    if len(report.findings) > limit:
        lines.append(f"... and {len(report.findings) - limit} more")
    return "\n".join(lines)


def to_json(report: FindingsReport) -> dict[str, Any]:
    """The JSON document of a report (``format`` marks the shape version)."""
    return {"format": REPORT_FORMAT, "report": to_jsonable(report)}


def from_json(data: Any) -> FindingsReport:
    """Read back :func:`to_json` output."""
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise ValueError(f"not a {REPORT_FORMAT} document")
    return from_jsonable(FindingsReport, data["report"])


def dumps(report: FindingsReport) -> str:
    """:func:`to_json` as indented text."""
    return json.dumps(to_json(report), indent=2, sort_keys=False) + "\n"
