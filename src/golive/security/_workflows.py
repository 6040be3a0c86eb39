"""GitHub Actions security with zizmor (offline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.kit.check import CheckContext
from golive.kit.processes import find_tool
from golive.kit.text import redact
from golive.security._tools import missing, relative, run_json, source_line
from golive.security.base import Finding, Location, RunState, Severity, ToolRun, fingerprint


def _primary(finding: dict[str, Any]) -> dict[str, Any]:
    locations = finding.get("locations") or [{}]
    for loc in locations:
        if (loc.get("symbolic") or {}).get("kind") == "Primary":
            return dict(loc)
    return dict(locations[0])


@dataclass
class ZizmorScanner:
    """``zizmor --offline --format json`` over the workflow files."""

    persona: str = "regular"
    name: str = "zizmor"

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Audit ``.github/workflows`` (and actions) under ``root``."""
        exe = find_tool("zizmor")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("zizmor"))
        workflows = root / ".github" / "workflows"
        if not workflows.is_dir() or not any(workflows.glob("*.y*ml")):
            return ToolRun(
                tool=self.name,
                state=RunState.SKIPPED,
                reason=f"no GitHub Actions workflows under {relative(str(workflows), root)}",
            )
        argv = [
            exe,
            "--offline",
            "--format",
            "json",
            "--persona",
            self.persona,
            "--no-progress",
            str(workflows),
        ]
        # zizmor exits 10-14 when it found something, by highest severity.
        data, result = await run_json(ctx, argv, cwd=root, ok_codes=(0, 10, 11, 12, 13, 14))
        findings = []
        for item in data or []:
            if item.get("ignored"):
                continue
            loc = _primary(item)
            sym = loc.get("symbolic") or {}
            key = (sym.get("key") or {}).get("Local") or {}
            path = relative(str(key.get("given_path") or key.get("verbatim_path") or ""), root)
            start = ((loc.get("concrete") or {}).get("location") or {}).get("start_point") or {}
            line = int(start.get("row", -1)) + 1
            det = item.get("determinations") or {}
            ident = str(item.get("ident", "zizmor"))
            annotation = str(sym.get("annotation", ""))
            code = redact(source_line(root, path, line))[:200]
            fixes = [f.get("title", "") for f in item.get("fixes") or [] if f.get("title")]
            findings.append(
                Finding(
                    tool=self.name,
                    rule_id=ident,
                    severity=Severity.parse(str(det.get("severity", "Medium")), Severity.MEDIUM),
                    title=f"{item.get('desc', ident)}: {annotation}".rstrip(": "),
                    location=Location(path=path, line=max(line, 0)),
                    fingerprint=fingerprint("workflow", ident, path, code),
                    category="workflows",
                    evidence=code,
                    advice=("; ".join(fixes) + ". " if fixes else "")
                    + f"See {item.get('url', 'https://docs.zizmor.sh/audits/')}",
                    help_url=str(item.get("url", "")),
                    dedupe_key=f"workflow|{ident}|{path}|{line}",
                )
            )
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            command=result.command_line,
            information_uri="https://docs.zizmor.sh/",
        )
