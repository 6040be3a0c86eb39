"""SAST scanners: bandit and semgrep (with golive's shipped rule files, fully offline)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from golive.kit.check import CheckContext, CheckError
from golive.kit.processes import find_tool
from golive.kit.text import redact
from golive.security._tools import missing, relative, run_json, source_line
from golive.security.base import Finding, Location, RunState, Severity, ToolRun, fingerprint

_BANDIT_SEVERITY = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}


def shipped_rules() -> list[Path]:
    """The semgrep rule files that ship with golive."""
    folder = resources.files("golive.security") / "rules"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".yml", ".yaml")))


def _cwe_id(text: str) -> str:
    head = text.split(":", 1)[0].strip().upper()
    return head if head.startswith("CWE-") else ""


def _sast_key(path: str, line: int, cwe: tuple[str, ...], rule: str) -> str:
    return f"sast|{path}|{line}|{cwe[0] if cwe else rule}"


def _snippet(root: Path, path: str, line: int) -> str:
    return redact(source_line(root, path, line))[:200]


@dataclass
class BanditScanner:
    """bandit over the Python files under the root."""

    excludes: tuple[str, ...]
    name: str = "bandit"

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Run ``bandit -r . -f json`` and normalise its results."""
        exe = find_tool("bandit")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("bandit"))
        argv = [exe, "-r", ".", "-f", "json", "-q"]
        if self.excludes:
            argv += ["-x", ",".join(f"./{e}" for e in self.excludes)]
        data, result = await run_json(ctx, argv, cwd=root)
        findings = []
        for r in (data or {}).get("results", []):
            path = relative(r["filename"], root)
            line = int(r.get("line_number") or 0)
            cwe_info = r.get("issue_cwe") or {}
            cwe = (f"CWE-{cwe_info['id']}",) if cwe_info.get("id") else ()
            code = _snippet(root, path, line)
            findings.append(
                Finding(
                    tool=self.name,
                    rule_id=r["test_id"],
                    severity=_BANDIT_SEVERITY.get(r.get("issue_severity", ""), Severity.LOW),
                    title=r.get("issue_text", r["test_id"]),
                    location=Location(path=path, line=line),
                    fingerprint=fingerprint("sast", cwe[0] if cwe else r["test_id"], path, code),
                    category="sast",
                    evidence=code,
                    advice=f"See {r.get('more_info', 'the bandit documentation')}.",
                    help_url=r.get("more_info", ""),
                    cwe=cwe,
                    dedupe_key=_sast_key(path, line, cwe, r["test_id"]),
                )
            )
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            command=result.command_line,
            information_uri="https://bandit.readthedocs.io/",
        )


def _semgrep_severity(extra: dict[str, Any]) -> Severity:
    override = (extra.get("metadata") or {}).get("golive-severity")
    if isinstance(override, str):
        return Severity.parse(override, Severity.MEDIUM)
    return Severity.parse(str(extra.get("severity", "WARNING")), Severity.MEDIUM)


@dataclass
class SemgrepScanner:
    """semgrep with local rule files only: metrics off, no version check, no registry."""

    rules: tuple[Path, ...]
    excludes: tuple[str, ...]
    name: str = "semgrep"

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Run ``semgrep scan`` offline and normalise its results."""
        exe = find_tool("semgrep")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("semgrep"))
        for rule in self.rules:
            if not rule.exists():
                raise CheckError(f"semgrep rule file {rule} does not exist (only local rule files are used)")
        argv = [
            exe,
            "scan",
            "--metrics=off",
            "--disable-version-check",
            "--json",
            "--quiet",
            "--no-rewrite-rule-ids",
            "--project-root",
            ".",
            "--timeout",
            "30",
        ]
        for rule in self.rules:
            argv += ["--config", str(rule)]
        for ex in self.excludes:
            argv += ["--exclude", ex]
        argv.append(".")
        env = {"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
        data, result = await run_json(ctx, argv, cwd=root, env=env, ok_codes=(0, 1))
        errors = [e for e in (data or {}).get("errors", []) if e.get("level") == "error"]
        if errors:
            raise CheckError(f"semgrep reported errors: {redact(str(errors[0].get('message', '')))[:500]}")
        findings = []
        for r in (data or {}).get("results", []):
            extra = r.get("extra") or {}
            meta = extra.get("metadata") or {}
            path = relative(r["path"], root)
            line = int((r.get("start") or {}).get("line") or 0)
            cwe = tuple(c for c in (_cwe_id(x) for x in meta.get("cwe", []) or []) if c)
            code = _snippet(root, path, line)
            findings.append(
                Finding(
                    tool=self.name,
                    rule_id=r["check_id"],
                    severity=_semgrep_severity(extra),
                    title=" ".join(str(extra.get("message", r["check_id"])).split()),
                    location=Location(path=path, line=line),
                    fingerprint=fingerprint("sast", cwe[0] if cwe else r["check_id"], path, code),
                    category="sast",
                    evidence=code,
                    advice=" ".join(str(meta.get("golive-advice", "")).split()),
                    cwe=cwe,
                    dedupe_key=_sast_key(path, line, cwe, r["check_id"]),
                )
            )
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            command=result.command_line,
            version=str((data or {}).get("version", "")),
            information_uri="https://semgrep.dev/",
        )
