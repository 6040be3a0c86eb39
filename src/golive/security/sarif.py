"""SARIF 2.1.0 output that GitHub code scanning accepts.

One run per tool, rules with ``security-severity`` (GitHub's severity scale), results with
``partialFingerprints`` so alerts stay stable across commits, and baseline-accepted findings
kept as results with an external, accepted suppression.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from golive.kit.text import redact
from golive.security.base import Finding, Severity, ToolRun
from golive.security.findings import FindingsReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"

# GitHub maps security-severity to critical (>= 9.0), high (7.0-8.9), medium (4.0-6.9), low.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.INFO: "0.0",
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_TOOL_URIS = {
    "bandit": "https://bandit.readthedocs.io/",
    "semgrep": "https://semgrep.dev/",
    "detect-secrets": "https://github.com/Yelp/detect-secrets",
    "checkov": "https://www.checkov.io/",
    "zizmor": "https://docs.zizmor.sh/",
    "osv": "https://osv.dev/",
}


def repo_prefix(root: Path) -> str:
    """``root`` relative to the enclosing git work tree (``""`` at the top or outside git)."""
    root = root.resolve()
    for parent in (root, *root.parents):
        if (parent / ".git").exists():
            rel = root.relative_to(parent).as_posix()
            return "" if rel == "." else rel + "/"
    return ""


def _location(f: Finding, prefix: str) -> dict[str, Any]:
    loc = f.location
    if loc.url:
        physical: dict[str, Any] = {"artifactLocation": {"uri": loc.url}}
        out: dict[str, Any] = {"physicalLocation": physical}
        if loc.parameter:
            out["logicalLocations"] = [{"name": loc.parameter, "kind": "parameter"}]
        return out
    physical = {"artifactLocation": {"uri": prefix + (loc.path or "."), "uriBaseId": "%SRCROOT%"}}
    if loc.line > 0:
        physical["region"] = {"startLine": loc.line}
    out = {"physicalLocation": physical}
    if loc.resource:
        out["logicalLocations"] = [{"name": loc.resource, "kind": "resource"}]
    return out


def _rule(f: Finding) -> dict[str, Any]:
    tags = ["security", *(f.category and [f.category] or []), *f.cwe]
    rule: dict[str, Any] = {
        "id": f.rule_id,
        "name": f.rule_id,
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f.title},
        "defaultConfiguration": {"level": _LEVEL[f.severity]},
        "properties": {
            "tags": tags,
            "security-severity": _SECURITY_SEVERITY[f.severity],
            "precision": "high",
        },
    }
    if f.advice:
        rule["help"] = {"text": f.advice, "markdown": f.advice}
    if f.help_url:
        rule["helpUri"] = f.help_url
    return rule


def _message(f: Finding) -> str:
    text = f.title
    if f.evidence:
        text += f" Evidence: {f.evidence}"
    if len(f.reported_by) > 1:
        text += f" (reported by {', '.join(f.reported_by)})"
    return text


def to_sarif(report: FindingsReport, *, prefix: str = "") -> dict[str, Any]:
    """The SARIF 2.1.0 log (as a JSON-ready dict) of a findings report.

    File paths are written as ``prefix + path`` relative to ``%SRCROOT%`` (the repository
    root for GitHub): pass :func:`repo_prefix` of the scanned directory.
    """
    by_tool: dict[str, list[tuple[Finding, dict[str, Any] | None]]] = {}
    for f in report.findings:
        by_tool.setdefault(f.tool, []).append((f, None))
    for s in report.suppressed:
        suppression = {
            "kind": "external",
            "status": "accepted",
            "justification": f"{s.entry.reason} (owner {s.entry.owner}, until {s.entry.expires.isoformat()})",
        }
        by_tool.setdefault(s.finding.tool, []).append((s.finding, suppression))
    for run in report.runs:
        by_tool.setdefault(run.tool, [])
    versions = {r.tool: r.version for r in report.runs if r.version}
    runs = []
    for tool in sorted(by_tool):
        items = by_tool[tool]
        rules: dict[str, dict[str, Any]] = {}
        results = []
        for f, suppressed_as in items:
            if f.rule_id not in rules:
                rules[f.rule_id] = _rule(f)
            result: dict[str, Any] = {
                "ruleId": f.rule_id,
                "ruleIndex": list(rules).index(f.rule_id),
                "level": _LEVEL[f.severity],
                "message": {"text": _message(f)},
                "locations": [_location(f, prefix)],
                "partialFingerprints": {"goliveFindingHash/v1": f.fingerprint},
                "properties": {"severity": f.severity.value, "tools": list(f.reported_by)},
            }
            if suppressed_as is not None:
                result["suppressions"] = [suppressed_as]
            results.append(result)
        driver: dict[str, Any] = {
            "name": tool,
            "informationUri": _TOOL_URIS.get(tool, "https://github.com/golive"),
            "rules": list(rules.values()),
        }
        if versions.get(tool):
            driver["version"] = versions[tool]
        entry: dict[str, Any] = {
            "tool": {"driver": driver},
            "results": results,
            "automationDetails": {"id": f"golive/{tool}/"},
        }
        notes = [n for r in report.runs if r.tool == tool for n in _not_analysed(r, prefix)]
        if notes:
            entry["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": notes}]
        runs.append(entry)
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def _not_analysed(run: ToolRun, prefix: str) -> list[dict[str, Any]]:
    """A SARIF notification per item the tool was asked to analyse and did not."""
    out = []
    for cov in run.coverage:
        for m in cov.missed:
            note: dict[str, Any] = {
                "level": "warning",
                "message": {"text": redact(f"{run.tool} did not analyse {m.item}: {m.reason}")},
            }
            if cov.unit == "files":
                uri = prefix + m.item
                note["locations"] = [
                    {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}}
                ]
            out.append(note)
    return out
