"""SAST scanners: bandit and semgrep (with golive's shipped rule files, fully offline)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from golive.kit.check import CheckContext, CheckError
from golive.kit.processes import find_tool
from golive.kit.text import redact
from golive.security._tools import batches, missing, relative, run_json, source_line
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


#: Files bandit analyses (its default include globs), besides extensionless Python scripts.
BANDIT_SUFFIXES = (".py", ".pyw")


def python_source(root: Path) -> Callable[[str], bool]:
    """Which files under ``root`` are Python: ``*.py``, ``*.pyw``, and scripts with a python shebang."""

    def keep(rel: str) -> bool:
        if rel.endswith(BANDIT_SUFFIXES):
            return True
        if "." in rel.rsplit("/", 1)[-1]:
            return False
        try:
            with (root / rel).open("rb") as fh:
                first = fh.readline(200)
        except OSError:
            return False
        return first.startswith(b"#!") and b"python" in first

    return keep


def _bandit_finding(r: dict[str, Any], root: Path) -> Finding:
    path = relative(r["filename"], root)
    line = int(r.get("line_number") or 0)
    cwe_info = r.get("issue_cwe") or {}
    cwe = (f"CWE-{cwe_info['id']}",) if cwe_info.get("id") else ()
    code = _snippet(root, path, line)
    return Finding(
        tool="bandit",
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


def _bandit_coverage(files: tuple[str, ...], scanned: set[str], errors: dict[str, str]) -> Coverage:
    missed = tuple(
        Missed(item=f, reason=errors.get(f, "bandit did not report it as scanned"))
        for f in files
        if f not in scanned or f in errors
    )
    return Coverage(unit="files", asked=len(files), scanned=len(files) - len(missed), missed=missed)


@dataclass
class BanditScanner:
    """bandit over the Python files golive listed; parse errors are reported, never dropped.

    ``--ignore-nosec``: an inline ``# nosec`` hides a finding with no owner, reason or
    expiry; accepted findings go in golive's baseline instead.
    """

    files: tuple[str, ...]
    name: str = "bandit"

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Run ``bandit -f json`` on the files, in batches, and normalise its results."""
        exe = find_tool("bandit")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("bandit"))
        findings: list[Finding] = []
        scanned: set[str] = set()
        errors: dict[str, str] = {}
        commands = []
        for batch in batches(self.files):
            argv = [exe, "-f", "json", "-q", "--ignore-nosec", "--", *(f"./{f}" for f in batch)]
            data, result = await run_json(ctx, argv, cwd=root)
            commands.append(result.command_line)
            data = data or {}
            findings += [_bandit_finding(r, root) for r in data.get("results", [])]
            scanned |= {relative(k, root) for k in data.get("metrics", {}) if k != "_totals"}
            for err in data.get("errors", []):
                errors[relative(str(err.get("filename", "")), root)] = str(err.get("reason", "error"))
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            coverage=(_bandit_coverage(self.files, scanned, errors),),
            command=_shorten(commands, len(self.files)),
            information_uri="https://bandit.readthedocs.io/",
        )


def _shorten(commands: list[str], files: int) -> str:
    """The first command line, its file list elided when there are many (for the reproducer)."""
    if not commands:
        return ""
    first = commands[0]
    if len(first) > 400:
        first = first[:400] + f" ... ({files} files in {len(commands)} run(s))"
    return first


def _semgrep_severity(extra: dict[str, Any]) -> Severity:
    override = (extra.get("metadata") or {}).get("golive-severity")
    if isinstance(override, str):
        return Severity.parse(override, Severity.MEDIUM)
    return Severity.parse(str(extra.get("severity", "WARNING")), Severity.MEDIUM)


# The file names semgrep picks for a rule language (by extension); a language missing here
# (generic, regex, ...) makes every file a target.
_SEMGREP_SUFFIXES: dict[str, tuple[str, ...]] = {
    "python": (".py", ".pyi"),
    "javascript": (".js", ".jsx", ".mjs", ".cjs"),
    "typescript": (".ts", ".tsx"),
    "go": (".go",),
    "java": (".java",),
    "ruby": (".rb",),
    "php": (".php",),
    "c": (".c", ".h"),
    "csharp": (".cs",),
    "rust": (".rs",),
    "kotlin": (".kt", ".kts"),
    "scala": (".scala",),
    "swift": (".swift",),
    "bash": (".sh", ".bash"),
    "yaml": (".yml", ".yaml"),
    "json": (".json",),
    "terraform": (".tf", ".hcl"),
    "html": (".html", ".htm"),
}
_SEMGREP_ALIASES = {"py": "python", "js": "javascript", "ts": "typescript", "golang": "go", "sh": "bash"}
_SEMGREP_ALIASES |= {"hcl": "terraform", "tf": "terraform", "c#": "csharp", "docker": "dockerfile"}


def rule_languages(rules: Sequence[Path]) -> set[str]:
    """Every ``languages:`` entry of the rule files (normalised); CheckError on an unreadable file."""
    yaml = YAML(typ="safe")
    found: set[str] = set()
    for rule_file in rules:
        try:
            doc = yaml.load(rule_file.read_text(encoding="utf-8"))
        except (OSError, YAMLError) as exc:
            raise CheckError(f"semgrep rule file {rule_file} is unreadable: {exc}") from None
        for rule in (doc or {}).get("rules", []) or []:
            for lang in (rule or {}).get("languages", []) or []:
                key = str(lang).lower()
                found.add(_SEMGREP_ALIASES.get(key, key))
    return found


def semgrep_target(languages: set[str]) -> Callable[[str], bool]:
    """Which files the rules' languages apply to (every file for a language golive cannot map)."""
    if any(lang not in _SEMGREP_SUFFIXES and lang != "dockerfile" for lang in languages):
        return lambda _: True
    suffixes = tuple(x for lang in languages for x in _SEMGREP_SUFFIXES.get(lang, ()))
    docker = "dockerfile" in languages

    def keep(rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        dockerfile = name == "Dockerfile" or name.startswith("Dockerfile.")
        return name.endswith(suffixes) or (docker and dockerfile)

    return keep


def _semgrep_missed(data: dict[str, Any], root: Path) -> tuple[dict[str, str], list[str]]:
    """Per file, why semgrep did not (fully) analyse it; and its errors that name no file."""
    per_file: dict[str, str] = {}
    general: list[str] = []
    for err in data.get("errors", []) or []:
        message = " ".join(str(err.get("message", "")).split())[:200]
        kind = err.get("type")
        label = str(kind[0] if isinstance(kind, list) and kind else kind or "error")
        path = err.get("path")
        if path:
            per_file.setdefault(relative(str(path), root), f"{label}: {redact(message)}")
        elif err.get("level") == "error":
            raise CheckError(f"semgrep reported errors: {redact(message)[:500]}")
        else:
            general.append(f"semgrep: {label}: {redact(message)}")
    for skip in (data.get("paths") or {}).get("skipped", []) or []:
        per_file.setdefault(relative(str(skip.get("path", "")), root), str(skip.get("reason", "skipped")))
    return per_file, general


def _semgrep_finding(r: dict[str, Any], root: Path) -> Finding:
    extra = r.get("extra") or {}
    meta = extra.get("metadata") or {}
    path = relative(r["path"], root)
    line = int((r.get("start") or {}).get("line") or 0)
    cwe = tuple(c for c in (_cwe_id(x) for x in meta.get("cwe", []) or []) if c)
    code = _snippet(root, path, line)
    return Finding(
        tool="semgrep",
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


@dataclass
class SemgrepScanner:
    """semgrep with local rule files only: metrics off, no version check, no registry.

    golive names every target file itself (so semgrep's own ignore rules, which skip
    ``tests/``, ``vendor/`` and big files, cannot silently shrink the scan), and
    ``--disable-nosem`` keeps inline ``# nosemgrep`` from hiding findings.
    """

    rules: tuple[Path, ...]
    files: tuple[str, ...]
    name: str = "semgrep"

    def _argv(self, exe: str, batch: list[str]) -> list[str]:
        argv = [exe, "scan", "--metrics=off", "--disable-version-check", "--json", "--quiet"]
        argv += ["--no-rewrite-rule-ids", "--disable-nosem", "--no-git-ignore", "--timeout", "30"]
        for rule in self.rules:
            argv += ["--config", str(rule)]
        return [*argv, "--", *batch]

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Run ``semgrep scan`` offline on the files, in batches, and normalise its results."""
        exe = find_tool("semgrep")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("semgrep"))
        for rule in self.rules:
            if not rule.exists():
                raise CheckError(f"semgrep rule file {rule} does not exist (only local rule files are used)")
        env = {"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
        findings: list[Finding] = []
        scanned: set[str] = set()
        per_file: dict[str, str] = {}
        general: list[str] = []
        commands: list[str] = []
        version = ""
        for batch in batches(self.files):
            data, result = await run_json(ctx, self._argv(exe, batch), cwd=root, env=env, ok_codes=(0, 1))
            data = data or {}
            commands.append(result.command_line)
            version = str(data.get("version", version))
            findings += [_semgrep_finding(r, root) for r in data.get("results", [])]
            scanned |= {relative(str(p), root) for p in (data.get("paths") or {}).get("scanned", [])}
            missed, notes = _semgrep_missed(data, root)
            per_file |= missed
            general += notes
        missed_items = tuple(
            Missed(item=f, reason=per_file.get(f, "semgrep did not report it as scanned"))
            for f in self.files
            if f not in scanned or f in per_file
        )
        asked = len(self.files)
        coverage = Coverage(unit="files", asked=asked, scanned=asked - len(missed_items), missed=missed_items)
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            coverage=(coverage,),
            reason="; ".join(dict.fromkeys(general)),
            command=_shorten(commands, len(self.files)),
            version=version,
            information_uri="https://semgrep.dev/",
        )
