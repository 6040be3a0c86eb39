"""The default branch, read from the git directory's files (git itself is never run).

In order: ``origin/HEAD`` (what the remote calls its default); the current branch when it is
the only local branch or is called ``main``/``master``; the branch CI runs on push; a local
``main``/``master``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from golive.discover._repo import Repo, yaml_line
from golive.discover.facts import Fact, Source

_PRIMARY = ("main", "master")


def git_dir(root: Path) -> Path | None:
    """The repository's git directory (``.git``, or where a ``.git`` file points)."""
    dot = root / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():
        match = re.match(r"gitdir:\s*(.+)", dot.read_text(errors="replace").strip())
        if match:
            target = (root / match.group(1).strip()).resolve()
            return target if target.is_dir() else None
    return None


def _common(gitdir: Path) -> Path:
    """Where a worktree keeps refs shared with its main repository."""
    common = gitdir / "commondir"
    if common.is_file():
        return (gitdir / common.read_text().strip()).resolve()
    return gitdir


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip() if path.is_file() else ""
    except OSError:
        return ""


def local_branches(gitdir: Path) -> list[str]:
    """Local branch names (loose refs and packed refs)."""
    common = _common(gitdir)
    heads = common / "refs" / "heads"
    names = (
        {p.relative_to(heads).as_posix() for p in heads.rglob("*") if p.is_file()}
        if heads.is_dir()
        else set()
    )
    for line in _read(common / "packed-refs").splitlines():
        match = re.match(r"[0-9a-f]{40,64} refs/heads/(.+)$", line)
        if match:
            names.add(match.group(1))
    return sorted(names)


def default_branch(repo: Repo) -> Fact[str] | None:
    """The default branch, or ``None`` when nothing states one."""
    gitdir = git_dir(repo.root)
    if gitdir is not None:
        found = _from_git(gitdir)
        if found is not None:
            return found
    pushed = _from_workflows(repo)
    if pushed is not None:
        return pushed
    if gitdir is not None:
        branches = local_branches(gitdir)
        primary = [b for b in _PRIMARY if b in branches]
        if len(primary) == 1:
            return Fact(value=primary[0], source=Source(path=".git/refs/heads", detail="local branch"))
    return None


def _from_git(gitdir: Path) -> Fact[str] | None:
    origin = _read(_common(gitdir) / "refs" / "remotes" / "origin" / "HEAD")
    match = re.match(r"ref:\s*refs/remotes/origin/(.+)", origin)
    if match:
        return Fact(
            value=match.group(1), source=Source(path=".git/refs/remotes/origin/HEAD", detail="origin/HEAD")
        )
    head = re.match(r"ref:\s*refs/heads/(.+)", _read(gitdir / "HEAD"))
    if head is None:
        return None
    branches = local_branches(gitdir)
    current = head.group(1)
    if (branches == [current] or not branches) or current in _PRIMARY:
        return Fact(value=current, source=Source(path=".git/HEAD", detail="the only local branch"))
    return None


def _from_workflows(repo: Repo) -> Fact[str] | None:
    for rel in repo.glob(r"\.github/workflows/[^/]+\.ya?ml"):
        for doc in repo.yaml(rel, quiet=True):
            on: Any = doc.get("on", doc.get(True)) if isinstance(doc, dict) else None
            push = on.get("push") if isinstance(on, dict) else None
            branches = push.get("branches") if isinstance(push, dict) else None
            literal = [b for b in branches or [] if isinstance(b, str) and not re.search(r"[*?\[]", b)]
            if literal:
                source = Source(path=rel, line=yaml_line(push, "branches"), detail="on: push: branches")
                return Fact(value=literal[0], source=source)
    return None
