"""Workflow linters: zizmor (security, always ``--offline``) and actionlint (mistakes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.kit.check import CheckContext

SEVERITIES = ("unknown", "informational", "low", "medium", "high")


@dataclass(frozen=True, kw_only=True)
class LintFinding:
    """One finding of a workflow linter."""

    tool: str
    rule: str
    severity: str
    message: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.tool} {self.rule}, {self.severity}] {self.message}"


@dataclass(frozen=True, kw_only=True)
class LintRun:
    """What a linter found, or why it did not run."""

    tool: str
    command: str
    findings: tuple[LintFinding, ...] = ()
    skipped: str = ""
    error: str = ""


def parse_zizmor(text: str, root: Path) -> tuple[LintFinding, ...]:
    """Findings from ``zizmor --format json`` output."""
    data: list[dict[str, Any]] = json.loads(text or "[]")
    findings = []
    for item in data:
        if item.get("ignored"):
            continue
        locations = item.get("locations") or []
        primary = next(
            (loc for loc in locations if loc.get("symbolic", {}).get("kind") == "Primary"),
            locations[0] if locations else {},
        )
        symbolic = primary.get("symbolic", {})
        path = symbolic.get("key", {}).get("Local", {}).get("verbatim_path", "")
        row = primary.get("concrete", {}).get("location", {}).get("start_point", {}).get("row", 0)
        try:
            path = str(Path(path).resolve().relative_to(root.resolve()))
        except ValueError:
            pass
        annotation = symbolic.get("annotation", "")
        findings.append(
            LintFinding(
                tool="zizmor",
                rule=str(item.get("ident", "")),
                severity=str(item.get("determinations", {}).get("severity", "unknown")).lower(),
                message=f"{item.get('desc', '')}" + (f": {annotation}" if annotation else ""),
                file=path,
                line=int(row) + 1,
            )
        )
    return tuple(findings)


async def run_zizmor(ctx: CheckContext, root: Path, files: list[Path]) -> LintRun:
    """Run zizmor offline over the workflow files."""
    from golive.kit.processes import find_tool  # asyncio loads when a lint runs, not with the spec

    exe = find_tool("zizmor")
    if exe is None:
        return LintRun(tool="zizmor", command="", skipped="zizmor is not installed (pip install zizmor)")
    argv = [exe, "--offline", "--format", "json", "--no-progress", *map(str, files)]
    result = await ctx.run(argv, cwd=root, timeout=min(ctx.timeout, 120.0))
    shown = "zizmor --offline " + " ".join(str(f.relative_to(root)) for f in files)
    # zizmor exits non-zero when it has findings; only unreadable output is an error.
    try:
        findings = parse_zizmor(result.stdout, root)
    except (json.JSONDecodeError, AttributeError, TypeError) as exc:
        return LintRun(tool="zizmor", command=shown, error=f"{exc}: {result.stderr[-500:]}")
    return LintRun(tool="zizmor", command=shown, findings=findings)


def parse_actionlint(text: str) -> tuple[LintFinding, ...]:
    """Findings from ``actionlint -format '{{json .}}'`` output."""
    data: list[dict[str, Any]] = json.loads(text or "[]") or []
    return tuple(
        LintFinding(
            tool="actionlint",
            rule=str(item.get("kind", "")),
            severity="error",
            message=str(item.get("message", "")),
            file=str(item.get("filepath", "")),
            line=int(item.get("line", 0)),
        )
        for item in data
    )


async def run_actionlint(ctx: CheckContext, root: Path, files: list[Path]) -> LintRun:
    """Run actionlint when it is installed."""
    from golive.kit.processes import find_tool  # asyncio loads when a lint runs, not with the spec

    exe = find_tool("actionlint")
    if exe is None:
        return LintRun(tool="actionlint", command="", skipped="actionlint is not installed")
    argv = [exe, "-format", "{{json .}}", "-no-color", *map(str, files)]
    result = await ctx.run(argv, cwd=root, timeout=min(ctx.timeout, 120.0))
    shown = "actionlint " + " ".join(str(f.relative_to(root)) for f in files)
    try:
        findings = parse_actionlint(result.stdout)
    except (json.JSONDecodeError, AttributeError, TypeError) as exc:
        return LintRun(tool="actionlint", command=shown, error=f"{exc}: {result.stderr[-500:]}")
    return LintRun(tool="actionlint", command=shown, findings=findings)
