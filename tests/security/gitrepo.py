"""Real git repositories for the secrets tests, built fast with ``git fast-import``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

#: Files a commit changes: path -> new content (None deletes the file).
Changes = Mapping[str, str | None]

_IDENTITY = ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main"]

# Plain words: enough text per commit that 200 commits print far more than 256 KiB of patch,
# and nothing a secrets detector could mistake for a credential.
FILLER = "\n".join(f"line {i} of the release notes for the storage layer" for i in range(40)) + "\n"


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run git in ``cwd``; its stdout (raises with stderr when git fails)."""
    proc = subprocess.run(["git", *_IDENTITY, *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8", errors="replace")


def _blob(text: str) -> bytes:
    data = text.encode("utf-8")
    return b"data %d\n" % len(data) + data + b"\n"


def build_repo(root: Path, commits: int, changes: Callable[[int], Changes]) -> list[str]:
    """A repository of ``commits`` linear commits on main; commit ``i`` (1-based) applies
    ``changes(i)``. The work tree is checked out at the last commit. Returns the SHAs, oldest first.
    """
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    stream = bytearray()
    for i in range(1, commits + 1):
        stream += b"commit refs/heads/main\nmark :%d\n" % i
        stream += b"committer t <t@example.com> %d +0000\n" % (1_700_000_000 + i * 60)
        stream += _blob(f"commit {i}")
        for path, content in changes(i).items():
            quoted = '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'
            if content is None:
                stream += f"D {quoted}\n".encode()
            else:
                stream += f"M 644 inline {quoted}\n".encode() + _blob(content)
        stream += b"\n"
    git(root, "fast-import", "--quiet", stdin=bytes(stream))
    git(root, "reset", "-q", "--hard", "main")
    return git(root, "rev-list", "--reverse", "main").split()


def notes_commit(i: int) -> dict[str, str | None]:
    """The ordinary change of commit ``i``: a new page of release notes."""
    return {f"notes/release-{i:04d}.txt": FILLER}
