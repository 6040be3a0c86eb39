"""Running the external scanners: their JSON output, the skip reason when one is missing.

Scanners are found with :func:`golive.kit.processes.find_tool` and run through
:meth:`golive.kit.CheckContext.run` (own process group, killed on timeout).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from golive.kit.check import CheckContext, CheckError
from golive.kit.text import excerpt

if TYPE_CHECKING:  # asyncio loads when a scanner runs, not with the spec
    from golive.kit.processes import ProcessResult

DEFAULT_EXCLUDES = (
    ".git",
    ".venv",
    "venv",
    "node_modules",
    ".golive",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "dist",
    "build",
)
"""Directories no scanner looks into unless told otherwise."""


def missing(name: str) -> str:
    """The skip reason for a tool that is not installed."""
    return f"{name} is not installed (pip install 'golive[security]', or put {name} on PATH)"


async def run_json(
    ctx: CheckContext,
    argv: list[str],
    *,
    cwd: Path,
    ok_codes: tuple[int, ...] = (0, 1),
    env: dict[str, str] | None = None,
) -> tuple[Any, ProcessResult]:
    """Run a scanner that prints JSON on stdout; CheckError when it fails or times out."""
    result = await ctx.run(argv, cwd=cwd, env=env, timeout=ctx.timeout)
    return parse_json(result, ok_codes=ok_codes, timeout=ctx.timeout), result


def parse_json(result: ProcessResult, *, ok_codes: tuple[int, ...], timeout: float) -> Any:
    """A finished scanner's JSON output (read whole); CheckError when it failed or timed out."""
    tool = Path(result.argv[0]).name
    if result.timed_out:
        raise CheckError(f"{tool} did not finish within {timeout:g}s; its process group was killed")
    if result.returncode not in ok_codes:
        detail = excerpt(result.stderr or result.stdout, 600)
        raise CheckError(f"{tool} failed with exit code {result.returncode}: {detail}")
    try:
        return json.loads(result.stdout or "null")
    except json.JSONDecodeError:
        raise CheckError(
            f"{tool} did not print JSON: {excerpt(result.stdout or result.stderr, 600)}"
        ) from None


#: How many file names go on one scanner command line (well below the kernel's ARG_MAX).
BATCH = 500


def list_files(
    root: Path, excludes: Sequence[str], keep: Callable[[str], bool] = lambda _: True
) -> list[str]:
    """The files under ``root`` a scanner is asked to analyse: relative POSIX paths, sorted.

    Directories named in ``excludes`` are skipped wherever they are; symbolic links to
    directories are not followed (they may lead outside the scanned tree). This list is what
    every scanner's coverage is measured against.
    """
    skip = set(excludes)
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        base = Path(dirpath)
        for name in filenames:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if path.is_file() and keep(rel):
                out.append(rel)
    return sorted(out)


def batches(items: Sequence[str], size: int = BATCH) -> Iterator[list[str]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def relative(path: str, root: Path) -> str:
    """``path`` (absolute or relative to ``root``) as a POSIX path relative to ``root``."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(root.resolve())
        except ValueError:
            return p.as_posix()
    text = p.as_posix()
    return text[2:] if text.startswith("./") else text


def source_line(root: Path, path: str, line: int) -> str:
    """The text of one source line (stripped), or ``""``."""
    try:
        with (root / path).open(encoding="utf-8", errors="replace") as fh:
            for i, text in enumerate(fh, 1):
                if i == line:
                    return text.strip()
    except OSError:
        return ""
    return ""
