"""Committed secrets: detect-secrets and golive's own rule, over the tree and all of git history.

Only the secret's type, place and SHA-1 hash are kept: the secret itself and the line that
holds it never enter a finding, so they cannot reach any report.

What is scanned is measured: every text file golive listed (detect-secrets reads them by
name; the ones it would skip, such as ``.lock`` files or files that are not UTF-8, are staged
as copies it reads), and every commit of the history. Binary files are listed, not scanned.
Inline ``pragma: allowlist secret`` comments, and detect-secrets' lock-file and swagger-path
filters, do not hide anything: accepted findings go in golive's baseline.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from golive.kit.check import CheckContext, CheckError
from golive.kit.files import MANIFEST
from golive.kit.processes import find_tool
from golive.security._history import read_history
from golive.security._secret_rule import RULE_ID, scan_text
from golive.security._staging import Staged, Stager, skipped_by_detect_secrets
from golive.security._tools import batches, missing, run_json
from golive.security.base import Coverage, Finding, Location, Missed, RunState, Severity, ToolRun, fingerprint

_ADVICE = (
    "Revoke and rotate this credential now, remove it from the code, and load it from the "
    "environment or a secret manager."
)
_HISTORY_ADVICE = (
    "The credential is gone from the working tree but still in git history: revoke and rotate "
    "it; rewriting history (git filter-repo) only limits further exposure."
)
# Heuristic detectors match any high-entropy or password-looking literal: useful, but noisy
# (checksums, test credentials), so they report medium; specific key formats report high.
HEURISTIC_DETECTORS = frozenset(
    {"Secret Keyword", "Hex High Entropy String", "Base64 High Entropy String", "Public IP (ipv4)"}
)
_ENTROPY = frozenset({"Hex High Entropy String", "Base64 High Entropy String"})
# Files made of checksums: their high-entropy strings are hashes, never reported.
_CHECKSUM_FILES = frozenset(
    {"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "uv.lock"}
    | {"Pipfile.lock", "Cargo.lock", "Gemfile.lock", "composer.lock", "go.sum", "packages.lock.json"}
    | {MANIFEST}
)
_FILTERS_OFF = (
    "detect_secrets.filters.heuristic.is_lock_file",
    "detect_secrets.filters.heuristic.is_swagger_file",
    "detect_secrets.filters.allowlist.is_line_allowlisted",
)


def _checksum_file(path: str) -> bool:
    p = PurePosixPath(path)
    pinned = p.name.startswith("requirements") and p.suffix in (".txt", ".lock", ".in")
    return p.name in _CHECKSUM_FILES or p.suffix in (".lock", ".sum") or pinned


def _secret_finding(
    *, tool: str, kind: str, digest: str, path: str, line: int, commit: str = "", name: str = ""
) -> Finding:
    where = f" (added in commit {commit[:12]})" if commit else ""
    golive_rule = tool == "golive"
    title = (
        f"High-entropy literal assigned to {name!r}" if golive_rule else f"{kind} committed to the repository"
    )
    return Finding(
        tool=tool,
        rule_id=RULE_ID if golive_rule else f"secret.{kind.lower().replace(' ', '-')}",
        severity=Severity.MEDIUM if kind in HEURISTIC_DETECTORS else Severity.HIGH,
        title=title + where,
        location=Location(path=path, line=line),
        fingerprint=fingerprint("secret", digest, path),
        category="secrets",
        evidence=f"{kind}; secret value redacted (sha1 {digest[:12]}...)",
        advice=_HISTORY_ADVICE if commit else _ADVICE,
        cwe=("CWE-798",),
        dedupe_key=f"secret|{digest}|{path}",
    )


async def _detect(
    ctx: CheckContext, exe: str, cwd: Path, files: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """detect-secrets over ``files`` (named, relative to ``cwd``), in batches; results by file."""
    results: dict[str, list[dict[str, Any]]] = {}
    for batch in batches(files):
        argv = [exe, "scan", *(a for f in _FILTERS_OFF for a in ("--disable-filter", f)), "--", *batch]
        data, _ = await run_json(ctx, argv, cwd=cwd, ok_codes=(0,), env={"PYTHONUTF8": "1"})
        for path, items in ((data or {}).get("results") or {}).items():
            results.setdefault(path, []).extend(items)
    return results


@dataclass(kw_only=True)
class _Tree:
    """The working tree as golive read it."""

    direct: list[str] = field(default_factory=list)
    #: golive's rule's findings, made while reading (the text is not kept).
    findings: list[Finding] = field(default_factory=list)
    binary: list[str] = field(default_factory=list)
    unreadable: list[Missed] = field(default_factory=list)


def _read_tree(root: Path, files: Iterable[str], stager: Stager) -> _Tree:
    tree = _Tree()
    for rel in files:
        try:
            data = (root / rel).read_bytes()
        except OSError as exc:
            tree.unreadable.append(Missed(item=rel, reason=f"unreadable: {exc.strerror or exc}"))
            continue
        if b"\0" in data[:8192]:
            tree.binary.append(rel)
            continue
        try:
            text = data.decode("utf-8")
            direct = not skipped_by_detect_secrets(rel)
        except UnicodeDecodeError:
            text, direct = data.decode("latin-1"), False  # detect-secrets would drop it unread
        tree.findings += _rule_findings([("", rel, text.splitlines(), None)])
        if direct:
            tree.direct.append(rel)
        else:
            stager.add_file(rel, text)
    return tree


def _findings(
    results: dict[str, list[dict[str, Any]]], staged: dict[str, Staged], dropped: list[str]
) -> list[Finding]:
    """detect-secrets' results as findings (staged names mapped back); checksum noise dropped."""
    out = []
    for rel, items in results.items():
        entry = staged.get(rel)
        for item in items:
            path = entry.path if entry else rel
            if item["type"] in _ENTROPY and _checksum_file(path):
                dropped.append(path)
                continue
            number = int(item.get("line_number") or 0)
            out.append(
                _secret_finding(
                    tool="detect-secrets",
                    kind=item["type"],
                    digest=item["hashed_secret"],
                    path=path,
                    line=entry.original_line(number) if entry else number,
                    commit=entry.commit if entry else "",
                )
            )
    return out


def _rule_findings(texts: Iterable[tuple[str, str, list[str], list[int] | None]]) -> list[Finding]:
    """golive's rule over (commit, path, lines, original line numbers) tuples."""
    out = []
    for commit, path, lines, numbers in texts:
        for hit in scan_text(path, lines):
            line = numbers[hit.line - 1] if numbers else hit.line
            out.append(
                _secret_finding(
                    tool="golive",
                    kind="High-entropy secret assignment",
                    digest=hit.sha1,
                    path=path,
                    line=line,
                    commit=commit,
                    name=hit.name,
                )
            )
    return out


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per secret, file and rule (the tree's before history's).

    golive's rule only speaks where detect-secrets had no specific detector for the literal
    (a vendor format such as an AWS key names the secret better).
    """
    specific = {f.dedupe_key for f in findings if f.tool != "golive" and f.severity is Severity.HIGH}
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        key = (f.dedupe_key, f.rule_id)
        if key in seen or (f.tool == "golive" and f.dedupe_key in specific):
            continue
        seen.add(key)
        out.append(f)
    return out


@dataclass
class DetectSecretsScanner:
    """detect-secrets and golive's rule over the files golive listed, and optionally git history."""

    files: tuple[str, ...]
    history: bool = True
    max_commits: int | None = None
    name: str = "detect-secrets"
    #: What a reader should know after :meth:`scan` (history not readable, ...).
    warnings: list[str] = field(default_factory=list)

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Scan the working tree, then every commit's added lines; measure both."""
        exe = find_tool("detect-secrets")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("detect-secrets"))
        with tempfile.TemporaryDirectory(prefix="golive-secrets-") as tmp:
            stager = Stager(Path(tmp) / "tree")
            tree = _read_tree(root, self.files, stager)
            staged_names = stager.write()
            dropped: list[str] = []
            findings = _findings(await _detect(ctx, exe, root, tree.direct), {}, dropped)
            findings += _findings(await _detect(ctx, exe, stager.out, staged_names), stager.staged, dropped)
            findings += tree.findings
            asked = len(self.files) - len(tree.binary)
            coverage = [
                Coverage(
                    unit="files",
                    asked=asked,
                    scanned=asked - len(tree.unreadable),
                    missed=tuple(tree.unreadable),
                )
            ]
            notes = [f"{asked} text file(s) scanned"]
            if tree.binary:
                notes.append(
                    f"{len(tree.binary)} binary file(s) not scanned (e.g. {', '.join(tree.binary[:3])})"
                )
            if self.history:
                history, note, covered = await self._history(ctx, exe, root, Path(tmp) / "history", dropped)
                findings += history
                notes.append(note)
                coverage += covered
        if dropped:
            notes.append(f"{len(dropped)} high-entropy string(s) in checksum files ignored")
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(_merge(findings)),
            coverage=tuple(coverage),
            command=f"{exe} scan --disable-filter ... -- FILES (golive lists the files)",
            reason="; ".join(notes),
            information_uri="https://github.com/Yelp/detect-secrets",
        )

    async def _history(
        self, ctx: CheckContext, exe: str, root: Path, scratch: Path, dropped: list[str]
    ) -> tuple[list[Finding], str, list[Coverage]]:
        if find_tool("git") is None:
            raise CheckError("git is not installed: cannot scan the history (or set history: false)")
        inside = await ctx.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root)
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            self.warnings.append(
                f"{root.name} is not in a git work tree: git history not scanned (set history: false "
                "to scan only the working tree)"
            )
            return [], "history not scanned (not a git work tree)", []
        history = await read_history(ctx, root, scratch, self.max_commits)
        names = Stager(scratch, history.staged).write()
        findings = _findings(await _detect(ctx, exe, scratch, names), history.staged, dropped)
        findings += _rule_findings((e.commit, e.path, e.texts, e.lines) for e in history.staged.values())
        note = f"{history.note}, {len(names)} changed file(s) scanned"
        if history.binary_changes:
            note += f", {history.binary_changes} binary change(s) not scanned"
        return findings, note, [history.coverage]
