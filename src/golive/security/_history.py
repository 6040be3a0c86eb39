"""The lines git history added, for the secrets scan: every commit of every ref, counted.

``git log --all --full-history -p --cc -U0`` lists each commit's added lines, including the
lines a merge itself introduced (a conflict resolution) and the commits of side branches
that history simplification would hide. The lines are written per commit and file into a
scratch directory (:mod:`golive.security._staging`), so a secret that was committed and
later deleted is still found, with its commit. The scan measures what it covered: commits
listed by ``git rev-list`` against commits read from the log, and refuses to call a
shallow clone's history complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from golive.kit.check import CheckContext, CheckError
from golive.security._staging import Staged, Stager
from golive.security.base import Coverage, Missed

MARKER = "golive-commit "
_HUNK = re.compile(r"^(@{2,}) .*?\+(\d+)(?:,\d+)? @{2,}")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
SHALLOW_FIX = (
    "shallow clone: older commits are not in this repository; fetch the full history "
    "(actions/checkout fetch-depth: 0, or git fetch --unshallow) or set history: false"
)


def unquote(text: str) -> str:
    """A path as git prints it: C-quoted (``"b/caf\\303\\251.py"``) when it holds odd bytes."""
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return text
    body, out, i = text[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out += ch.encode("utf-8")
        i += 1
    return out.decode("utf-8", errors="replace")


def _new_path(header: str) -> str | None:
    """The file a ``+++`` header names (relative to the log's root), or None for /dev/null."""
    target = unquote(header[4:].rstrip("\n").rstrip("\t"))
    return target[2:] if target.startswith("b/") else None


@dataclass
class _Parser:
    """A state machine over ``git log -p --cc -U0`` output."""

    stager: Stager
    commits: list[str] = field(default_factory=list)
    binary: int = 0
    _commit: str = ""
    _path: str | None = None
    _header: bool = False
    _line: int = 0
    _width: int = 1

    def feed(self, raw: str) -> None:
        """Consume one line of the log."""
        if raw.startswith(MARKER):  # content lines always start with a +, - or space prefix
            self._commit, self._path = raw[len(MARKER) :].strip(), None
            self.commits.append(self._commit)
        elif raw.startswith("diff "):
            self._header, self._path = True, None
        elif self._header and raw.startswith("Binary files "):
            self.binary += 1
        elif self._header and raw.startswith("+++ "):
            self._path = _new_path(raw)
        elif raw.startswith("@@"):
            self._hunk(raw)
        elif not self._header and self._path is not None and self._commit:
            self._content(raw)

    def _hunk(self, raw: str) -> None:
        match = _HUNK.match(raw)
        self._header = False
        self._width = len(match.group(1)) - 1 if match else 1
        self._line = int(match.group(2)) if match else 0

    def _content(self, raw: str) -> None:
        prefix = raw[: self._width]
        if "-" in prefix or raw.startswith("\\"):
            return  # a removed line (not in the result) or "\ No newline at end of file"
        if "+" in prefix and self._path is not None:
            self.stager.add_line(self._commit, self._path, raw[self._width :], self._line)
        self._line += 1


@dataclass(frozen=True, kw_only=True)
class History:
    """What the history scan read: the staged added lines and its coverage."""

    staged: dict[str, Staged]
    coverage: Coverage
    binary_changes: int
    note: str


async def _git(ctx: CheckContext, root: Path, *args: str) -> str:
    result = await ctx.run(["git", "-c", "core.quotePath=false", *args], cwd=root)
    if result.timed_out:
        raise CheckError(f"git {args[0]} did not finish within {ctx.timeout:g}s: history not scanned")
    if result.returncode != 0:
        raise CheckError(f"git {args[0]} failed: {result.stderr.strip()[:300]}")
    return result.stdout


async def read_history(ctx: CheckContext, root: Path, scratch: Path, max_commits: int | None) -> History:
    """Stage the lines every commit (newest ``max_commits`` when set) added under ``root``."""
    select = ["--all", "--full-history"]
    total = int((await _git(ctx, root, "rev-list", "--count", *select, "--", ".")).strip() or 0)
    shallow = (await _git(ctx, root, "rev-parse", "--is-shallow-repository")).strip() == "true"
    limit = [f"--max-count={max_commits}"] if max_commits else []
    log = await _git(
        ctx,
        root,
        "log",
        *select,
        *limit,
        "-p",
        "--cc",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        f"--format={MARKER}%H",
        "--relative",
        "--",
        ".",
    )
    parser = _Parser(stager=Stager(scratch))
    for raw in log.splitlines():
        parser.feed(raw)
    asked = min(total, max_commits) if max_commits else total
    scanned = len(set(parser.commits))
    missed: tuple[Missed, ...] = ()
    if scanned < asked:
        missed = (Missed(item=f"{asked - scanned} commit(s)", reason="listed by git rev-list, not read"),)
    note = f"history: {scanned} of {total} commit(s) read"
    if max_commits and total > max_commits:
        note += f" (the newest {max_commits}, as max_commits asks)"
    coverage = Coverage(
        unit="commits",
        label="history",
        asked=asked,
        scanned=scanned,
        missed=missed,
        incomplete=SHALLOW_FIX if shallow else "",
    )
    return History(staged=parser.stager.staged, coverage=coverage, binary_changes=parser.binary, note=note)
