"""What the testing family's reusable checks read: the inputs that make their evidence reusable.

A test suite's verdict depends on the tree it runs in, the interpreter and the packages
installed for it: :func:`suite_inputs` names all three. The tree is every file under the
service's directory (and the command's ``cwd`` when that lies outside it) except golive's own
output and caches (:data:`TREE_EXCLUDES`); the interpreter is the command's program, or the
one named in its ``#!`` line (a ``pytest`` script); its packages are listed by running it once.
A suite whose program is not a Python interpreter (npm, make, a shell string) cannot name its
installed packages, so it is never reused. The files the suite writes for other checks (a
coverage report) are inputs too, hashed as the run left them (``Inputs.after_run``): the
suite's evidence is reused only while they are exactly what its run produced.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

from golive.kit.check import CheckContext, CheckError, Inputs
from golive.testing._cobertura import read_cobertura
from golive.testing._params import CoverageParams, SuiteParams
from golive.testing.base import TestingError

TREE_EXCLUDES = (
    ".golive",
    ".git",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".coverage",
    ".coverage.*",
    ".venv",
    "venv",
    "node_modules",
)
"""Never inputs of a test run: golive's output directory, version-control data, caches, the
raw coverage data a run writes, and installed packages (named by the interpreter instead)."""

_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?$")

#: Run by the suite's interpreter: its version, prefix, import path and every installed package.
_LIST_PACKAGES = (
    "import importlib.metadata as m, sys\n"
    "print(sys.version, sys.prefix, sys.path[1:], sep='\\n')\n"
    "print(*sorted({f\"{d.metadata['Name']}=={d.version}\" for d in m.distributions()}), sep='\\n')\n"
)

#: ``--cov-report`` types whose file another check may read, and their default file names.
_COV_REPORTS = {"xml": "coverage.xml", "json": "coverage.json", "lcov": "coverage.lcov"}


async def suite_inputs(params: SuiteParams, ctx: CheckContext) -> Inputs:
    """The tree, the interpreter and its packages, and the reports the suite writes."""
    if params.shell or isinstance(params.command, str):
        raise CheckError("a shell command may run any program: its installed packages cannot be named")
    command = [ctx.resolve(arg) for arg in params.command]
    cwd = ctx.path(params.cwd) if params.cwd else ctx.workdir
    python = _interpreter(command[0], cwd)
    env = {k: ctx.resolve(v) for k, v in params.env.items()}
    listed = await ctx.run([python, "-c", _LIST_PACKAGES], cwd=cwd, env=env, timeout=60.0)
    if listed.returncode != 0 or listed.timed_out:
        raise CheckError(f"cannot list the packages installed for {python}: exit {listed.returncode}")
    roots = [str(ctx.workdir)]
    if not cwd.resolve().is_relative_to(ctx.workdir.resolve()):
        roots.append(str(cwd))
    return Inputs(
        paths=(*roots, *_outputs(command, params, cwd)),
        exclude=TREE_EXCLUDES,
        extra=(_identity(python), listed.stdout),
        after_run=True,
    )


def _interpreter(program: str, cwd: Path) -> str:
    """The Python interpreter ``program`` is, or runs (``#!``); CheckError when it is neither."""
    found = _locate(program, cwd)
    if _PYTHON.match(Path(found).name):
        return found
    try:
        with open(found, "rb") as handle:
            first = handle.readline(512).decode("utf-8", "replace")
    except OSError as exc:
        raise CheckError(f"cannot read {found}: {exc.strerror or exc}") from None
    words = shlex.split(first[2:]) if first.startswith("#!") else []
    if words and Path(words[0]).name == "env" and len(words) > 1:
        words = [_locate(words[1], cwd)]
    if words and _PYTHON.match(Path(words[0]).name):
        return words[0]
    raise CheckError(f"{program} is not a Python interpreter: its installed packages cannot be named")


def _locate(program: str, cwd: Path) -> str:
    """The file ``program`` names, found the way the process would be started."""
    if os.sep in program:
        path = Path(program)
        return str(path if path.is_absolute() else cwd / path)
    found = shutil.which(program)
    if found is None:
        raise CheckError(f"{program} is not on PATH")
    return found


def _identity(python: str) -> str:
    """Which build of the interpreter: its resolved path, size and modification time."""
    stat = os.stat(python)
    return f"{python}: {os.path.realpath(python)} {stat.st_size} {stat.st_mtime_ns}"


def _outputs(command: list[str], params: SuiteParams, cwd: Path) -> tuple[str, ...]:
    """Reports the command writes for other checks: ``--cov-report`` files and ``junit``."""
    found: list[str] = [str(cwd / params.junit)] if params.junit else []
    for i, arg in enumerate(command):
        value = arg.removeprefix("--cov-report=") if arg.startswith("--cov-report=") else None
        if arg == "--cov-report" and i + 1 < len(command):
            value = command[i + 1]
        kind, _, target = (value or "").partition(":")
        if kind in _COV_REPORTS:
            path = Path(target or _COV_REPORTS[kind])
            found.append(str(path if path.is_absolute() else cwd / path))
    return tuple(found)


def coverage_inputs(params: CoverageParams, ctx: CheckContext) -> Inputs:
    """The report and every source file it measures (wherever its ``<sources>`` put them).

    The report's age is judged when the check runs: reused evidence keeps the age it had in
    the review that judged it (the marker shows how long ago that was).
    """
    if params.command is not None:
        raise CheckError("a command writes the report first: what it reads cannot be named")
    report = ctx.path(params.report)
    try:
        parsed = read_cobertura(report)
    except TestingError as exc:
        raise CheckError(str(exc)) from None
    bases = [ctx.path(s) for s in parsed.sources] or [ctx.workdir]
    sources = sorted({str(base / f.path) for base in bases for f in parsed.files})
    return Inputs(paths=(str(report), *sources))
