"""``golive review``: load, start the stack, run, report, remember."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from golive.checks.registry import CheckRegistry
from golive.cli._common import review_environ
from golive.cli._progress import LiveProgress
from golive.engine import LocalStack, ReviewOptions, Runner
from golive.errors import UsageError
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


def _check_formats(chosen: Sequence[str]) -> None:
    """Fail fast on a typo in --format, before anything runs."""
    from golive.reporters.base import ReporterError, get_reporter

    for name in chosen:
        try:
            get_reporter(name)
        except ReporterError as exc:
            raise UsageError(str(exc)) from None


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
    from golive.reporters.package import build_package, write_package

    if request.history:
        from golive.history.store import open_store

        with open_store(request.store, root=spec.root) as db:
            review_id = db.save_review(review)
            package = build_package(review=review, store=db, review_id=review_id, spec=spec)
    else:
        package = build_package(review=review, spec=spec)
    for p in write_package(package, out_dir):
        console.print(f"[dim]package:[/] {p}")


def run_review(request: ReviewRequest) -> Review:
    """Run a whole review as the CLI does; returns the finished review."""
    from golive.reporters.base import write_reports
    from golive.reporters.terminal import print_scorecard

    registry = CheckRegistry.default()
    spec = SpecLoader(registry).load(request.path)
    chosen = request.formats or DEFAULT_FORMATS
    _check_formats(chosen)
    out_dir = request.output or spec.root / ".golive" / "reports"
    options = _options(request, spec, out_dir)
    runner = Runner(spec, registry, options)  # validates the selection before starting anything
    console = Console(highlight=False)
    review = asyncio.run(_run(runner, spec, request, console, out_dir))
    written = write_reports(review, chosen, out_dir)
    print_scorecard(review, console)
    for p in written:
        console.print(f"[dim]report:[/] {p}")
    _record(review, spec, request, out_dir, console)
    return review
