"""Committed secrets: detect-secrets over the working tree and over added lines in git history.

Only the secret's type, place and detect-secrets' SHA-1 hash are kept: the secret itself and
the line that holds it never enter a finding, so they cannot reach any report.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.kit.check import CheckContext
from golive.kit.processes import find_tool
from golive.security._tools import missing, run_json
from golive.security.base import Finding, Location, RunState, Severity, ToolRun, fingerprint

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
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def _exclude_regex(excludes: tuple[str, ...]) -> str:
    parts = [re.escape(e) for e in excludes]
    return r"(^|/)(" + "|".join(parts) + r")(/|$)"


def _secret_finding(*, tool: str, kind: str, digest: str, path: str, line: int, commit: str = "") -> Finding:
    where = f" (added in commit {commit[:12]})" if commit else ""
    return Finding(
        tool=tool,
        rule_id=f"secret.{kind.lower().replace(' ', '-')}",
        severity=Severity.MEDIUM if kind in HEURISTIC_DETECTORS else Severity.HIGH,
        title=f"{kind} committed to the repository{where}",
        location=Location(path=path, line=line),
        fingerprint=fingerprint("secret", digest, path),
        category="secrets",
        evidence=f"{kind}; secret value redacted (sha1 {digest[:12]}...)",
        advice=_HISTORY_ADVICE if commit else _ADVICE,
        cwe=("CWE-798",),
        dedupe_key=f"secret|{digest}|{path}",
    )


async def _detect(
    ctx: CheckContext, exe: str, root: Path, excludes: tuple[str, ...]
) -> tuple[dict[str, list[dict[str, Any]]], str]:
    argv = [exe, "scan", "--all-files", "--exclude-files", _exclude_regex(excludes), "."]
    data, result = await run_json(ctx, argv, cwd=root, ok_codes=(0,))
    return (data or {}).get("results", {}), result.command_line


@dataclass
class DetectSecretsScanner:
    """detect-secrets over every file (not only git-tracked ones), and optionally git history."""

    excludes: tuple[str, ...]
    history: bool = True
    max_commits: int = 200
    name: str = "detect-secrets"

    async def scan(self, root: Path, ctx: CheckContext) -> ToolRun:
        """Scan the working tree, then the lines added by the last ``max_commits`` commits."""
        exe = find_tool("detect-secrets")
        if exe is None:
            return ToolRun(tool=self.name, state=RunState.SKIPPED, reason=missing("detect-secrets"))
        results, command = await _detect(ctx, exe, root, self.excludes)
        findings = [
            _secret_finding(
                tool=self.name,
                kind=item["type"],
                digest=item["hashed_secret"],
                path=path,
                line=int(item.get("line_number") or 0),
            )
            for path, items in results.items()
            for item in items
        ]
        reason = ""
        if self.history:
            history, reason = await self._history(ctx, exe, root)
            seen = {f.dedupe_key for f in findings}
            findings += [f for f in history if f.dedupe_key not in seen]
        return ToolRun(
            tool=self.name,
            state=RunState.RAN,
            findings=tuple(findings),
            command=command,
            reason=reason,
            information_uri="https://github.com/Yelp/detect-secrets",
        )

    async def _history(self, ctx: CheckContext, exe: str, root: Path) -> tuple[list[Finding], str]:
        git = find_tool("git")
        if git is None:
            return [], "git not installed: history not scanned"
        inside = await ctx.run([git, "rev-parse", "--is-inside-work-tree"], cwd=root)
        if inside.returncode != 0:
            return [], "not a git work tree: history not scanned"
        log = await ctx.run(
            [
                git,
                "log",
                "-p",
                "--no-color",
                "--no-ext-diff",
                "--no-renames",
                "-U0",
                f"--max-count={self.max_commits}",
                "--format=golive-commit %H",
                "--relative",
                "--",
                ".",
            ],
            cwd=root,
        )
        if log.returncode != 0:
            return [], f"git log failed: history not scanned ({log.stderr.strip()[:200]})"
        with tempfile.TemporaryDirectory(prefix="golive-history-") as tmp:
            mapping = _write_added_lines(log.stdout, Path(tmp))
            if not mapping:
                return [], ""
            results, _ = await _detect(ctx, exe, Path(tmp), ())
        findings = []
        for rel, items in results.items():
            commit, path, lines = mapping.get(rel, ("", rel, []))
            for item in items:
                idx = int(item.get("line_number") or 0) - 1
                line = lines[idx] if 0 <= idx < len(lines) else 0
                findings.append(
                    _secret_finding(
                        tool=self.name,
                        kind=item["type"],
                        digest=item["hashed_secret"],
                        path=path,
                        line=line,
                        commit=commit,
                    )
                )
        return findings, ""


def _write_added_lines(patch: str, out: Path) -> dict[str, tuple[str, str, list[int]]]:
    """Write each commit's added lines per file under ``out/<commit>/<path>``.

    Returns ``{relative temp path: (commit, original path, original line numbers)}``.
    """
    files: dict[tuple[str, str], tuple[list[str], list[int]]] = {}
    commit = ""
    path: str | None = None
    line_no = 0
    for raw in patch.splitlines():
        if raw.startswith("golive-commit "):
            commit, path = raw.split(" ", 1)[1].strip(), None
        elif raw.startswith("+++ "):
            target = raw[4:].strip()
            path = target[2:] if target.startswith("b/") else None
        elif raw.startswith("@@"):
            m = _HUNK.match(raw)
            line_no = int(m.group(1)) if m else 0
        elif raw.startswith("+") and path is not None and commit:
            texts, numbers = files.setdefault((commit, path), ([], []))
            texts.append(raw[1:])
            numbers.append(line_no)
            line_no += 1
    mapping = {}
    for (sha, original), (texts, numbers) in files.items():
        rel = f"{sha[:12]}/{original}"
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text("\n".join(texts) + "\n", encoding="utf-8", errors="surrogateescape")
        mapping[rel] = (sha, original, numbers)
    return mapping
