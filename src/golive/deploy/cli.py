"""``golive deploy`` and ``golive rollback``: the only deploy code that prints or exits.

Both are plain command functions; the family declaration (:mod:`golive.deploy`) mounts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from golive.cli._common import (
    EnvOption,
    PathArg,
    check_output_dir,
    fail,
    handle_errors,
    load_environment,
    review_environ,
    stdout,
)
from golive.deploy._gates import describe
from golive.deploy.base import DeployLocked, DeployOutcome, Release, Strategy
from golive.deploy.config import DeployConfig, LocalDriverConfig, load_deploy_config
from golive.deploy.report import DeployReport, write_report
from golive.deploy.strategies import DeployEvent
from golive.errors import UsageError
from golive.spec import Spec

EXIT_OK, EXIT_FAILED = 0, 1

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Deploy config file [default: deploy.yaml beside golive.yaml]."),
]
StoreOpt = Annotated[str | None, typer.Option("--store", help="History store URL.")]


def _parse_vars(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--var needs KEY=VALUE, not {pair!r}")
        out[key] = value
    return out


class _Printer:
    """Shows deploy progress as it happens: steps, traffic weights, analysis lines."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet

    def __call__(self, event: DeployEvent) -> None:
        c = self.console
        if event.kind == "weight":
            c.print(f"[bold cyan]traffic[/] {escape(event.message)}")
        elif event.kind == "step":
            c.print(f"[bold]>>[/] {escape(event.message)}")
        elif event.kind == "outcome":
            c.print(f"[bold]==[/] {escape(event.message)}")
        elif not self.quiet:
            style = "red" if "FAIL" in event.message else "dim"
            c.print(f"[{style}]   {escape(event.message)}[/]", soft_wrap=True)


def _summary(console: Console, report: DeployReport, written: list[Path]) -> None:
    colour = "green" if report.outcome in (DeployOutcome.SUCCEEDED, DeployOutcome.DRY_RUN) else "red"
    console.print(
        f"[bold {colour}]{report.outcome.value}[/] {escape(report.service)} "
        f"{escape(report.release.describe())} -> {escape(report.environment)}: {escape(report.reason)}",
        soft_wrap=True,
    )
    if report.time_to_detect_s is not None or report.time_to_rollback_s is not None:
        ttd = "-" if report.time_to_detect_s is None else f"{report.time_to_detect_s:.1f}s"
        ttr = "-" if report.time_to_rollback_s is None else f"{report.time_to_rollback_s:.1f}s"
        console.print(f"time to detect {ttd}, time to roll back {ttr}")
    for p in written:
        console.print(f"[dim]report:[/] {escape(str(p))}")


def _exit_for(report: DeployReport) -> int:
    return EXIT_OK if report.outcome in (DeployOutcome.SUCCEEDED, DeployOutcome.DRY_RUN) else EXIT_FAILED


def deploy_cmd(
    path: PathArg = Path("."),
    env: EnvOption = None,
    version: Annotated[str | None, typer.Option("--version", "-V", help="Version to deploy.")] = None,
    strategy: Annotated[
        Strategy | None, typer.Option("--strategy", help="Override the configured strategy.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Evaluate the gates and show the plan only.")
    ] = False,
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="KEY=VALUE for the new version's processes (local driver)."),
    ] = None,
    store: StoreOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Report directory [default: .golive/deploys].")
    ] = None,
    down: Annotated[
        bool, typer.Option("--down", help="Local driver: stop nginx and every instance, then exit.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Steps only, no analysis lines.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Deploy a version with gates, verification and automatic rollback."""
    console = stdout()
    with _errors():
        spec, loaded, env_name = _load(path, env, config)
        if down:
            _down(spec, loaded, env_name, console)
            raise typer.Exit(EXIT_OK)
        if not version:
            raise UsageError("--version is required")
        out_dir = _out_dir(spec, output)
        report = _run_deploy(
            spec,
            loaded,
            env_name,
            Release(version=version, vars=_parse_vars(var)),
            strategy=strategy,
            dry_run=dry_run,
            store=store,
            emit=_Printer(console, quiet=quiet),
            console=console,
        )
        if report.outcome is DeployOutcome.DRY_RUN:
            _print_plan(console, report)
        _summary(console, report, write_report(report, out_dir))
    raise typer.Exit(_exit_for(report))


def rollback_cmd(
    path: PathArg = Path("."),
    env: EnvOption = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Version to return to [default: the previous good one].")
    ] = None,
    store: StoreOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Report directory.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Roll back by hand to the previous good version (instantly if blue is on standby)."""
    console = stdout()
    with _errors():
        spec, loaded, env_name = _load(path, env, config)
        out_dir = _out_dir(spec, output)
        report = _run_rollback(spec, loaded, env_name, to=to, store=store, console=console)
        _summary(console, report, write_report(report, out_dir))
    raise typer.Exit(_exit_for(report))


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """:func:`handle_errors`, and a deploy lock someone else holds is a failed run (exit 1)."""
    with handle_errors():
        try:
            yield
        except DeployLocked as exc:
            fail(str(exc), EXIT_FAILED)


def _load(path: Path, env: str | None, config: Path | None) -> tuple[Spec, DeployConfig, str]:
    spec, env_name, _ = load_environment(path, env)
    return spec, load_deploy_config(spec, config), env_name


def _out_dir(spec: Spec, output: Path | None) -> Path:
    """The report directory, checked before the deploy starts so that its report is not lost."""
    out_dir = output or _reports_dir(spec)
    check_output_dir(out_dir, option="--output" if output else "report directory")
    return out_dir


def _reports_dir(spec: Spec) -> Path:
    from golive.deploy.deployer import reports_dir

    return reports_dir(spec)


def _print_plan(console: Console, report: DeployReport) -> None:
    for line in report.plan:
        console.print(f"plan: {escape(line)}", soft_wrap=True)
    for gate in report.gates:
        console.print(escape(describe(gate)), soft_wrap=True)


def _down(spec: Spec, config: DeployConfig, env_name: str, console: Console) -> None:
    """``--down``: stop the local deployment's nginx and instances (nothing is recorded)."""
    from golive.deploy.local import LocalDriver

    if not isinstance(config.driver, LocalDriverConfig):
        raise UsageError("--down only applies to the local driver")
    driver = LocalDriver(config.driver, workdir=spec.root, environment=env_name)
    asyncio.run(driver.down())
    console.print(f"stopped the local deployment of {escape(spec.service.name)} ({escape(env_name)})")


def _run_deploy(
    spec: Spec,
    config: DeployConfig,
    env_name: str,
    release: Release,
    *,
    strategy: Strategy | None,
    dry_run: bool,
    store: str | None,
    emit: _Printer,
    console: Console,
) -> DeployReport:
    from golive.deploy.deployer import Deployer
    from golive.history.store import open_store

    def on_signal(name: str, stop: asyncio.Event) -> None:
        if stop.is_set():
            console.print(f"[yellow]{name} again: the rollback is finishing, please wait[/]")
        else:
            console.print(f"[yellow]{name}: stopping the deploy and rolling back[/]")
        stop.set()

    with open_store(store, root=spec.root) as db:
        deployer = Deployer(
            spec=spec, config=config, env_name=env_name, store=db, environ=review_environ(), emit=emit
        )
        return asyncio.run(
            _with_signals(
                lambda stop: deployer.deploy(release, strategy=strategy, dry_run=dry_run, stop=stop),
                on_signal,
            )
        )


def _run_rollback(
    spec: Spec, config: DeployConfig, env_name: str, *, to: str | None, store: str | None, console: Console
) -> DeployReport:
    from golive.deploy.deployer import Deployer
    from golive.history.store import open_store

    def on_signal(name: str, stop: asyncio.Event) -> None:
        # A rollback is itself the safe action: signals do not interrupt it.
        console.print("[yellow]rollback in progress[/]")

    with open_store(store, root=spec.root) as db:
        deployer = Deployer(
            spec=spec,
            config=config,
            env_name=env_name,
            store=db,
            environ=review_environ(),
            emit=_Printer(console),
        )
        return asyncio.run(_with_signals(lambda _stop: deployer.rollback(to_version=to), on_signal))


async def _with_signals(
    work: Callable[[asyncio.Event], Awaitable[DeployReport]],
    on_signal: Callable[[str, asyncio.Event], None],
) -> DeployReport:
    """Run ``work`` with SIGINT/SIGTERM handled by ``on_signal`` (given a stop event) instead of
    killing golive half-way through a deploy or rollback."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig.name, stop)
    try:
        return await work(stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
