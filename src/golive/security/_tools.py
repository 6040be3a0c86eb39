"""Running the external scanners: their JSON output, the skip reason when one is missing.

Scanners are found with :func:`golive.kit.processes.find_tool` and run through
:meth:`golive.kit.CheckContext.run` (own process group, killed on timeout).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from golive.kit.check import CheckContext, CheckError
from golive.kit.processes import ProcessResult
from golive.kit.text import excerpt

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
    tool = Path(argv[0]).name
    if result.timed_out:
        raise CheckError(f"{tool} did not finish within {ctx.timeout:g}s; its process group was killed")
    if result.returncode not in ok_codes:
        detail = excerpt(result.stderr or result.stdout, 600)
        raise CheckError(f"{tool} failed with exit code {result.returncode}: {detail}")
    try:
        return json.loads(result.stdout or "null"), result
    except json.JSONDecodeError:
        raise CheckError(
            f"{tool} did not print JSON: {excerpt(result.stdout or result.stderr, 600)}"
        ) from None


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
