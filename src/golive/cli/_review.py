"""``golive review``: load, start the stack, run, report, remember."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from golive.checks.registry import CheckRegistry
from golive.cli._progress import LiveProgress
from golive.engine import LocalStack, ReviewOptions, Runner
from golive.errors import UsageError
from golive.results import Review, Tier
from golive.spec import SpecLoader

DEFAULT_FORMATS = ("markdown", "json", "junit", "html")


def review_environ(generate: Sequence[str] = ()) -> dict[str, str]:
    """The variables checks and the stack see: the process env plus ``GOLIVE_PYTHON``.

    ``GOLIVE_PYTHON`` is the interpreter running golive, so a spec can start Python tools
    installed beside golive (``[${GOLIVE_PYTHON}, -m, storefront, serve]``) whatever PATH is.
    Each name in ``generate`` gets a fresh random value unless already set, so a local stack
    and the checks can share a throwaway credential without one being written anywhere.
    """
    environ = dict(os.environ)
    environ.setdefault("GOLIVE_PYTHON", sys.executable)
    for name in generate:
        environ.setdefault(name, secrets.token_urlsafe(18))
    return environ


def run_review(
    *,
    path: Path,
    env: str | None,
    only: tuple[str, ...],
    tier: Tier | None,
    jobs: int | None,
    formats: tuple[str, ...],
    output: Path | None,
    store: str | None,
    history: bool,
    up: bool,
    allow_destructive: bool,
    load_workers: int | None = None,
) -> Review:
    """Run a whole review as the CLI does; returns the finished review."""
    from golive.reporters.base import ReporterError, get_reporter, write_reports
    from golive.reporters.terminal import print_scorecard

    registry = CheckRegistry.default()
    spec = SpecLoader(registry).load(path)
    if env is not None and env not in spec.environments:
        raise UsageError(f"unknown environment {env!r}; the spec defines: {', '.join(spec.environments)}")
    chosen = tuple(formats) or DEFAULT_FORMATS
    for name in chosen:
        try:
            get_reporter(name)  # fail fast on a typo, before anything runs
        except ReporterError as exc:
            raise UsageError(str(exc)) from None
    out_dir = output or spec.root / ".golive" / "reports"
    env_name, environment = spec.environment(env)
    options = ReviewOptions(
        environment=env_name,
        only=only,
        tier=tier,
        jobs=jobs or ReviewOptions().jobs,
        artifacts_dir=out_dir / "artifacts",
        environ=review_environ(generate=environment.generate),
        extra={"allow_destructive": allow_destructive}
        | ({"load_workers": load_workers} if load_workers else {}),
    )
    runner = Runner(spec, registry, options)  # validates the selection before starting anything
    console = Console(highlight=False)

    async def main() -> Review:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            with LiveProgress(console) as progress:
                runner.listeners.append(progress)
                if up and environment.up is not None:
                    async with LocalStack(
                        environment,
                        workdir=spec.root,
                        log_path=out_dir / "stack.log",
                        environ=options.environ,
                        listener=progress,
                        stop=stop,
                    ):
                        return await runner.run(stop)
                return await runner.run(stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    review = asyncio.run(main())
    written = write_reports(review, chosen, out_dir)
    print_scorecard(review, console)
    for p in written:
        console.print(f"[dim]report:[/] {p}")
    # The readiness package (report, risks, launch plan, sign-offs) is written with every
    # review; with history it also shows the trend and the sign-offs on record.
    from golive.runbook.package import build_package, write_package

    if history:
        from golive.history.store import open_store

        with open_store(store, root=spec.root) as db:
            review_id = db.save_review(review)
            package = build_package(review=review, store=db, review_id=review_id, spec=spec)
    else:
        package = build_package(review=review, spec=spec)
    for p in write_package(package, out_dir):
        console.print(f"[dim]package:[/] {p}")
    return review
