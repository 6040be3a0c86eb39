"""``golive review``: load, start the stack, run, report, remember."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from golive.checks.registry import CheckRegistry
from golive.cli._common import check_output_dir, console, review_environ
from golive.cli._progress import LiveProgress
from golive.engine import LocalStack, ReuseSource, ReviewOptions, Runner
from golive.errors import UsageError
from golive.kit.processes import review_sweeper
from golive.results import Review, Tier
from golive.spec import Spec, SpecLoader

DEFAULT_FORMATS = ("markdown", "json", "junit", "html")


@dataclass(frozen=True, kw_only=True)
class ReviewRequest:
    """What the command line asked for."""

    path: Path
    env: str | None = None
    only: tuple[str, ...] = ()
    tier: Tier | None = None
    jobs: int | None = None
    formats: tuple[str, ...] = ()
    output: Path | None = None
    store: str | None = None
    history: bool = True
    up: bool = True
    allow_destructive: bool = False
    load_workers: int | None = None
    #: ``--reuse DURATION`` as typed (parsed by :func:`reuse_window`).
    reuse: str | None = None


def _check_formats(chosen: Sequence[str]) -> tuple[str, ...]:
    """Fail fast on a typo in --format, before anything runs; the names of the files to write."""
    from golive.reporters.base import ReporterError, get_reporter, report_filename
    from golive.reporters.package import PACKAGE_BASENAME

    names = []
    for name in chosen:
        try:
            names.append(report_filename(get_reporter(name)))
        except ReporterError as exc:
            raise UsageError(str(exc)) from None
    return (*names, f"{PACKAGE_BASENAME}.md", f"{PACKAGE_BASENAME}.html")


def reuse_window(text: str | None) -> float | None:
    """``--reuse``'s window in seconds; UsageError (exit 2) for a malformed duration."""
    from golive.spec import parse_duration

    if text is None:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--reuse {text!r}: {exc}") from None
    if seconds <= 0:
        raise UsageError(f"--reuse {text!r}: the window must be longer than 0, e.g. --reuse 24h")
    return seconds


@contextlib.contextmanager
def _reuse_source(request: ReviewRequest, spec: Spec, console: Console) -> Iterator[ReuseSource | None]:
    """The history store to look up earlier evidence in, when any criterion may reuse some."""
    if request.reuse is None and not any(c.reuse for c in spec.criteria):
        yield None
        return
    from golive.history.base import HistoryError
    from golive.history.store import open_store

    try:
        store = open_store(request.store, root=spec.root)
    except HistoryError as exc:
        console.print(f"[yellow]warning:[/] nothing is reused: {escape(str(exc))}")
        yield None
        return
    with store:
        yield store


def _options(request: ReviewRequest, spec: Spec, out_dir: Path) -> ReviewOptions:
    env_name, environment = spec.environment(request.env)
    return ReviewOptions(
        environment=env_name,
        only=request.only,
        tier=request.tier,
        jobs=request.jobs or ReviewOptions().jobs,
        artifacts_dir=out_dir / "artifacts",
        environ=review_environ(generate=environment.generate),
        allow_destructive=request.allow_destructive,
        load_workers=request.load_workers,
        reuse=reuse_window(request.reuse),
    )


async def _run(runner: Runner, spec: Spec, request: ReviewRequest, console: Console, out_dir: Path) -> Review:
    """Run the review (inside the environment's stack unless --no-up); Ctrl-C stops it cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    environment = runner.environment
    try:
        with LiveProgress(console) as progress:
            runner.listeners.append(progress)
            if request.up and environment.up is not None:
                async with LocalStack(
                    environment,
                    workdir=spec.root,
                    log_path=out_dir / "stack.log",
                    environ=runner.options.environ,
                    listener=progress,
                    masker=runner.masker,
                    stop=stop,
                ):
                    return await runner.run(stop)
            return await runner.run(stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _record(review: Review, spec: Spec, request: ReviewRequest, out_dir: Path, console: Console) -> None:
    """Save the review in history and write the readiness package beside the reports.

    The package (report, risks, launch plan, sign-offs) is written with every review; with
    history it also shows the trend and the sign-offs on record.
    """
    from golive.history.base import HistoryError
    from golive.reporters.package import ReadinessPackage, build_package, write_package

    package: ReadinessPackage | None = None
    failed: HistoryError | None = None
    if request.history:
        from golive.history.store import open_store

        try:
            with open_store(request.store, root=spec.root) as db:
                review_id = db.save_review(review)
                package = build_package(review=review, store=db, review_id=review_id, spec=spec)
        except HistoryError as exc:
            failed = exc  # the package is still written, from this review alone
    if package is None:
        package = build_package(review=review, spec=spec)
    for p in write_package(package, out_dir):
        console.print(f"[dim]package:[/] {escape(str(p))}")
    if failed is not None:
        raise failed


def _mask_written_files(review: Review, runner: Runner, out_dir: Path, since: float) -> Review:
    """Mask the review's secrets in every file written under the output directory during it.

    Checks write artifacts and ``up`` writes its log while the review runs; they pass through
    the same masker as the results before any report points at them.
    """
    from golive.kit.masking import mask_files

    skipped = mask_files(out_dir, runner.masker, since=since - 1.0)
    if not skipped:
        return review
    return dataclasses.replace(review, warnings=review.warnings + tuple(skipped))


def run_review(request: ReviewRequest) -> Review:
    """Run a whole review as the CLI does; returns the finished review."""
    from golive.reporters.base import write_reports
    from golive.reporters.terminal import print_scorecard

    registry = CheckRegistry.default()
    spec = SpecLoader(registry).load(request.path)
    chosen = request.formats or DEFAULT_FORMATS
    files = _check_formats(chosen)
    out_dir = request.output or spec.root / ".golive" / "reports"
    options = _options(request, spec, out_dir)
    runner = Runner(spec, registry, options)  # validates the selection before starting anything
    # A file in the way would otherwise lose every result after the whole review has run.
    check_output_dir(out_dir, option="--output" if request.output else "report directory", files=files)
    out = console()
    started = time.time()
    # Nothing the review starts (the stack, checks' children, their daemons) outlives it, even
    # when golive is killed: see golive.kit.processes.review_sweeper.
    with review_sweeper(), _reuse_source(request, spec, out) as source:
        runner.options = dataclasses.replace(runner.options, reuse_source=source)
        review = asyncio.run(_run(runner, spec, request, out, out_dir))
    review = _mask_written_files(review, runner, out_dir, started)
    written = write_reports(review, chosen, out_dir)
    print_scorecard(review, out)
    for p in written:
        out.print(f"[dim]report:[/] {escape(str(p))}")
    _record(review, spec, request, out_dir, out)
    return review
