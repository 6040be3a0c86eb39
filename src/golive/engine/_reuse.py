"""Evidence reuse: the fingerprint of a check's inputs, and where earlier evidence is looked up.

A check type that declares itself reusable names its inputs (:class:`golive.kit.check.Inputs`).
The fingerprint hashes them together with everything else its verdict depends on: golive's
version, the check type, the criterion, the spec file, the environment's settings and the
params with their ``${VAR}`` values resolved. Equal fingerprints within the reuse window let
the engine take the earlier review's result instead of running the check again. A check whose
run writes into its own inputs (``Inputs.after_run``: a test suite leaving its coverage report)
is fingerprinted again after the run, and that fingerprint is the one recorded.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import importlib.metadata
import inspect
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from golive import __version__
from golive.kit.check import CheckContext, CheckError, Inputs
from golive.kit.processes import find_tool
from golive.results import CheckResult, Outcome, ReusedFrom

if TYPE_CHECKING:
    from golive.spec.models import Criterion

_GLOB_CHARS = frozenset("*?[")
_CHUNK = 1 << 20


class ReuseSource(Protocol):
    """Where the engine looks for earlier evidence (the history store implements it)."""

    def find_evidence(
        self,
        *,
        service: str,
        environment: str,
        criterion_id: str,
        check_type: str,
        fingerprint: str,
        not_before: datetime,
    ) -> tuple[int, datetime, CheckResult] | None:
        """The newest pass/fail result with this fingerprint since ``not_before``, or None.

        Returns (the review's id, when it finished, the result).
        """
        ...


async def look_up(
    source: ReuseSource, *, service: str, environment: str, criterion: Criterion, fp: str, window: float
) -> tuple[ReusedFrom, Outcome] | None:
    """The newest evidence with fingerprint ``fp`` at most ``window`` seconds old, as a marked outcome."""
    now = datetime.now(UTC)
    hit = await asyncio.to_thread(
        source.find_evidence,
        service=service,
        environment=environment,
        criterion_id=criterion.id,
        check_type=criterion.check.type,
        fingerprint=fp,
        not_before=now - timedelta(seconds=window),
    )
    if hit is None:
        return None
    review_id, finished_at, old = hit
    age = round((now - finished_at).total_seconds(), 1)
    marker = ReusedFrom(review_id=review_id, finished_at=finished_at, age_s=age)
    outcome = Outcome(
        status=old.status,
        summary=f"{marker.label}: {old.summary}",
        measurements=old.measurements,
        evidence=old.evidence,
        reproducer=old.reproducer,
    )
    return marker, outcome


async def fingerprint(check: Any, check_type: str, params: Any, ctx: CheckContext) -> str:
    """The hash of everything a reusable check's verdict depends on; CheckError when unhashable."""
    return await digest_inputs(await inputs_of(check, check_type, params, ctx), check_type, params, ctx)


async def inputs_of(check: Any, check_type: str, params: Any, ctx: CheckContext) -> Inputs:
    """What the check names as its inputs (``inputs`` may be a coroutine); CheckError otherwise."""
    inputs = check.inputs(params, ctx)
    if inspect.isawaitable(inputs):
        inputs = await inputs
    if not isinstance(inputs, Inputs):
        raise CheckError(f"check type {check_type!r} named its inputs as {type(inputs).__name__}, not Inputs")
    return inputs


async def digest_inputs(inputs: Inputs, check_type: str, params: Any, ctx: CheckContext) -> str:
    """The fingerprint of ``inputs`` with the params, the criterion and golive's version."""
    digest = hashlib.sha256()
    params_json = params.model_dump_json() if hasattr(params, "model_dump_json") else repr(params)
    environment = ctx.environment.model_dump_json()
    spec_path = str(ctx.spec.path.resolve()) if ctx.spec is not None else ""
    for part in (__version__, check_type, ctx.criterion_id, spec_path, ctx.environment_name, environment):
        _feed(digest, part)
    # ${VAR} values are part of what the check is asked: a changed value is a changed param.
    _feed(digest, ctx.resolve(params_json))
    for extra in inputs.extra:
        _feed(digest, extra)
    for tool in inputs.tools:
        _feed(digest, _tool_identity(tool))
    for repo in inputs.git_refs:
        _feed(digest, await _git_refs(repo, ctx))
    for name in inputs.exclude:
        _feed(digest, f"exclude {name}")
    await asyncio.to_thread(_feed_paths, digest, inputs.paths, ctx.workdir, inputs.exclude)
    return digest.hexdigest()


def _feed(digest: Any, text: str) -> None:
    # Length-prefixed, so that ("ab", "c") and ("a", "bc") hash differently.
    data = text.encode("utf-8", "surrogateescape")
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


def _tool_identity(name: str) -> str:
    """Which build of a tool would run: its path, size, mtime and package version."""
    found = find_tool(name)
    if found is None:
        return f"{name}: missing"
    stat = os.stat(found)
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    return f"{name}: {os.path.realpath(found)} {stat.st_size} {stat.st_mtime_ns} {version}"


async def _git_refs(repo: Path, ctx: CheckContext) -> str:
    """Every ref's commit and HEAD of ``repo``: a history scan's input."""
    result = await ctx.run(
        ["git", "-C", str(repo), "for-each-ref", "--format=%(objectname) %(refname)"], timeout=30.0
    )
    head = await ctx.run(["git", "-C", str(repo), "rev-parse", "HEAD"], timeout=30.0)
    if result.returncode != 0 or result.timed_out or head.returncode != 0:
        raise CheckError(f"cannot read the git refs of {repo}: its history cannot be fingerprinted")
    return f"{repo}\n{head.stdout}\n{result.stdout}"


def _feed_paths(digest: Any, patterns: tuple[str, ...], root: Path, exclude: tuple[str, ...]) -> None:
    for pattern in patterns:
        _feed(digest, f"pattern {pattern}")
        for path in _expand(pattern, root, exclude):
            _feed(digest, f"file {path}")
            _feed_file(digest, path)


def _expand(pattern: str, root: Path, exclude: tuple[str, ...] = ()) -> Iterator[Path]:
    """The files a pattern names: a file, every file under a directory, or a glob's matches."""
    path = Path(pattern)
    path = path if path.is_absolute() else root / path
    if path.is_file():
        yield path
        return
    if path.is_dir():
        yield from _tree(path, exclude)
        return
    if _GLOB_CHARS & set(pattern) and not Path(pattern).is_absolute():
        yield from sorted(p for p in root.glob(pattern) if p.is_file())


def _tree(top: Path, exclude: tuple[str, ...]) -> list[Path]:
    """Every regular file below ``top``, sorted; excluded names are not descended into."""

    def kept(name: str) -> bool:
        return not any(fnmatch.fnmatchcase(name, pattern) for pattern in exclude)

    found: list[Path] = []
    # Symbolic links to directories are not followed: they may lead anywhere, even in a loop.
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if kept(d)]
        base = Path(dirpath)
        found.extend(
            p for p in (base / f for f in filenames if kept(f)) if p.is_file() and not p.is_symlink()
        )
    return sorted(found)


def _feed_file(digest: Any, path: Path) -> None:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise CheckError(f"cannot read {path} to fingerprint it: {exc.strerror or exc}") from None
