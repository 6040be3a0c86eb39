"""GitHub Actions security with zizmor (offline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.kit.check import CheckContext
from golive.kit.processes import find_tool
from golive.kit.text import redact
from golive.security._tools import missing, parse_json, relative, source_line
from golive.security.base import (
    Coverage,
    Finding,
    Location,
    Missed,
    RunState,
    Severity,
    ToolRun,
    fingerprint,
)


def _primary(finding: dict[str, Any]) -> dict[str, Any]:
    locations = finding.get("locations") or [{}]
    for loc in locations:
        if (loc.get("symbolic") or {}).get("kind") == "Primary":
            return dict(loc)
    return dict(locations[0])


def workflow_files(root: Path) -> list[str]:
    """The workflows in ``.github/workflows`` and the composite actions (``action.yml``) under
    ``.github``: relative POSIX paths, sorted."""
    github = root / ".github"
    if not github.is_dir():
        return []
    workflows = github / "workflows"
    found = {p for p in workflows.iterdir() if p.suffix in (".yml", ".yaml")} if workflows.is_dir() else set()
    found |= {p for name in ("action.yml", "action.yaml") for p in github.rglob(name)}
    return sorted(p.relative_to(root).as_posix() for p in found if p.is_file())


def _load_error(stderr: str) -> str:
    """zizmor's reason for refusing a file (its ``Caused by`` line), without the backtrace."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("Caused by") and i + 1 < len(lines):
            return lines[i + 1].split(": ", 1)[-1][:200]
    failed = [line for line in lines if line.startswith("failed to")]
    return (failed[0] if failed else "zizmor could not load it")[:200]


def _zizmor_finding(item: dict[str, Any], root: Path) -> Finding:
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
    return Finding(
        tool="zizmor",
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


@dataclass
class ZizmorScanner:
    """``zizmor --offline --format json --strict-collection``, one workflow file at a time.

    Without strict collection zizmor skips a workflow it cannot load with a warning on
    stderr and exits 0; one file per run makes every refusal name its file.
    """

    files: tuple[str, ...]
    persona: str = "regular"
    name: str = "zizmor"

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Audit each workflow file; a file zizmor refuses is reported, never dropped."""
        exe = find_tool("zizmor")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("zizmor"))
        findings: list[Finding] = []
        missed: list[Missed] = []
        command = ""
        for rel in self.files:
            argv = [exe, "--offline", "--format", "json", "--persona", self.persona, "--no-progress"]
            argv += ["--strict-collection", "--", rel]
            result = await ctx.run(argv, cwd=root, env={"RUST_BACKTRACE": "0"})
            command = command or result.command_line
            if result.returncode == 1 and "no audit was performed" in result.stderr:
                missed.append(Missed(item=rel, reason=_load_error(result.stderr)))
                continue
            # zizmor exits 10-14 when it found something, by highest severity.
            data = parse_json(result, ok_codes=(0, 10, 11, 12, 13, 14), timeout=ctx.timeout)
            findings += [_zizmor_finding(item, root) for item in data or [] if not item.get("ignored")]
        asked = len(self.files)
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            coverage=(
                Coverage(unit="files", asked=asked, scanned=asked - len(missed), missed=tuple(missed)),
            ),
            command=command,
            information_uri="https://docs.zizmor.sh/",
        )
