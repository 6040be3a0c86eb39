"""Finding the newest backup and proving it can be read back."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from golive.dr import _postgres as pg
from golive.dr._urls import DbKind, DbUrl
from golive.dr.base import DrError
from golive.kit.check import CheckContext
from golive.kit.text import excerpt

__all__ = ["Verdict", "database_size", "newest", "size", "verify"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDMP_MAGIC = b"PGDMP"


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """Whether a backup could be read completely, and what it holds."""

    ok: bool
    kind: str
    tables: int = 0
    reason: str = ""
    detail: str = ""


def newest(candidates: Sequence[Path]) -> tuple[Path, float] | None:
    """The most recently modified existing candidate and its mtime."""
    best: tuple[Path, float] | None = None
    for path in candidates:
        with contextlib.suppress(OSError):
            mtime = path.stat().st_mtime
            if best is None or mtime > best[1]:
                best = (path, mtime)
    return best


def size(path: Path) -> int:
    """Bytes of a backup file, or of every file in a backup directory."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _kind(path: Path) -> str:
    if path.is_dir():
        return "pg_dump" if (path / "toc.dat").exists() else "unknown"
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PGDMP_MAGIC) or head[257:262] == b"ustar":
        return "pg_dump"
    return "unknown"


async def verify(path: Path, ctx: CheckContext) -> Verdict:
    """Read the whole backup: ``pg_restore`` to /dev/null, or SQLite's integrity check."""
    kind = await asyncio.to_thread(_kind, path)
    if kind == "sqlite":
        return await asyncio.to_thread(_verify_sqlite, path)
    if kind == "pg_dump":
        listing = await ctx.run(["pg_restore", "--list", str(path)])
        if listing.returncode != 0 or listing.timed_out:
            return Verdict(
                ok=False,
                kind=kind,
                reason=excerpt(listing.stderr, 300) or "pg_restore --list failed",
                detail=listing.command_line,
            )
        tables = sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)
        # --list only reads the table of contents; restoring to /dev/null decompresses every
        # data block, which is where truncation and bit rot show up.
        full = await ctx.run(["pg_restore", "--file=/dev/null", str(path)])
        detail = f"$ {listing.command_line}\n{tables} TABLE DATA entries\n$ {full.command_line}"
        if full.returncode != 0 or full.timed_out:
            return Verdict(
                ok=False,
                kind=kind,
                tables=tables,
                reason=excerpt(full.stderr, 300) or f"exit code {full.returncode}",
                detail=detail,
            )
        return Verdict(ok=True, kind=kind, tables=tables, detail=detail + "\nread completely")
    return Verdict(
        ok=False,
        kind=kind,
        reason="not a pg_dump archive or SQLite database; set verify_command for this format",
    )


def _verify_sqlite(path: Path) -> Verdict:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master "
                "WHERE type='table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Verdict(ok=False, kind="sqlite", reason=str(exc))
    messages = [str(r[0]) for r in rows]
    if messages != ["ok"]:
        return Verdict(ok=False, kind="sqlite", reason="integrity_check: " + "; ".join(messages[:3]))
    n = int(tables[0]) if tables else 0
    return Verdict(ok=True, kind="sqlite", tables=n, detail=f"PRAGMA integrity_check: ok; {n} tables")


def database_size(url: DbUrl) -> int:
    """Size of a live database (pg_database_size, or the SQLite file)."""
    if url.kind is DbKind.SQLITE:
        return url.sqlite_path.stat().st_size
    with pg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    if row is None:
        raise DrError(f"cannot read the size of {url.display}")
    return int(str(row[0]))
