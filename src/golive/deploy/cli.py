"""``golive deploy`` and ``golive rollback``: the only deploy code that prints or exits."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from golive.deploy.base import DeployOutcome, Release, Strategy
from golive.deploy.report import DeployReport
from golive.deploy.strategies import DeployEvent

EXIT_OK, EXIT_FAILED = 0, 1

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Deploy config file [default: deploy.yaml beside golive.yaml]."),
]


def _parse_vars(pairs: list[str] | None) -> dict[str, str]:
    from golive.errors import UsageError

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


def register(app: typer.Typer, init_app: typer.Typer) -> None:
    """Add ``golive deploy`` and ``golive rollback``."""
    del init_app

    @app.command("deploy")
    def deploy_cmd(
        path: Annotated[
            Path, typer.Argument(help="Spec file, or a directory containing golive.yaml.")
        ] = Path("."),
        env: Annotated[str | None, typer.Option("--env", "-e", help="Environment to deploy to.")] = None,
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
        store: Annotated[str | None, typer.Option("--store", help="History store URL.")] = None,
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
        from golive.cli import fail, handle_errors
        from golive.deploy.base import DeployLocked

        console = Console(highlight=False)
        with handle_errors():
            try:
                report = _run_deploy(
                    path=path,
                    env=env,
                    version=version,
                    strategy=strategy,
                    dry_run=dry_run,
                    vars_=_parse_vars(var),
                    store=store,
                    output=output,
                    down=down,
                    console=console,
                    quiet=quiet,
                    config=config,
                )
            except DeployLocked as exc:
                fail(str(exc), EXIT_FAILED)
        if report is None:
            raise typer.Exit(EXIT_OK)
        raise typer.Exit(_exit_for(report))

    @app.command("rollback")
    def rollback_cmd(
        path: Annotated[
            Path, typer.Argument(help="Spec file, or a directory containing golive.yaml.")
        ] = Path("."),
        env: Annotated[str | None, typer.Option("--env", "-e", help="Environment to roll back.")] = None,
        to: Annotated[
            str | None, typer.Option("--to", help="Version to return to [default: the previous good one].")
        ] = None,
        store: Annotated[str | None, typer.Option("--store", help="History store URL.")] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Report directory.")] = None,
        config: ConfigOpt = None,
    ) -> None:
        """Roll back by hand to the previous good version (instantly if blue is on standby)."""
        from golive.cli import fail, handle_errors
        from golive.deploy.base import DeployLocked

        console = Console(highlight=False)
        with handle_errors():
            try:
                report = _run_rollback(
                    path=path, env=env, to=to, store=store, output=output, console=console, config=config
                )
            except DeployLocked as exc:
                fail(str(exc), EXIT_FAILED)
        raise typer.Exit(_exit_for(report))


def _load(path: Path, env: str | None, config: Path | None) -> tuple[object, object, str]:
    from golive.checks.registry import CheckRegistry
    from golive.deploy.config import load_deploy_config
    from golive.errors import UsageError
    from golive.spec import SpecLoader

    spec = SpecLoader(CheckRegistry.default()).load(path)
    if env is not None and env not in spec.environments:
        raise UsageError(f"unknown environment {env!r}; the spec defines: {', '.join(spec.environments)}")
    env_name, _ = spec.environment(env)
    return spec, load_deploy_config(spec, config), env_name


def _run_deploy(
    *,
    path: Path,
    env: str | None,
    version: str | None,
    strategy: Strategy | None,
    dry_run: bool,
    vars_: dict[str, str],
    store: str | None,
    output: Path | None,
    down: bool,
    console: Console,
    quiet: bool,
    config: Path | None,
) -> DeployReport | None:
    from golive.cli._review import review_environ
    from golive.deploy.config import DeployConfig
    from golive.deploy.deployer import Deployer, reports_dir
    from golive.deploy.local import LocalDriver
    from golive.deploy.report import write_report
    from golive.errors import UsageError
    from golive.history.store import open_store
    from golive.spec import Spec

    spec, loaded, env_name = _load(path, env, config)
    assert isinstance(spec, Spec) and isinstance(loaded, DeployConfig)
    with open_store(store, root=spec.root) as db:
        deployer = Deployer(
            spec=spec,
            config=loaded,
            env_name=env_name,
            store=db,
            environ=review_environ(),
            emit=_Printer(console, quiet=quiet),
        )
        if down:
            if not isinstance(deployer.driver, LocalDriver):
                raise UsageError("--down only applies to the local driver")
            asyncio.run(deployer.driver.down())
            console.print(f"stopped the local deployment of {spec.service.name} ({env_name})")
            return None
        if not version:
            raise UsageError("--version is required")
        release = Release(version=version, vars=vars_)

        async def main() -> DeployReport:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()

            def on_signal(name: str) -> None:
                if stop.is_set():
                    console.print(f"[yellow]{name} again: the rollback is finishing, please wait[/]")
                else:
                    console.print(f"[yellow]{name}: stopping the deploy and rolling back[/]")
                stop.set()

            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, on_signal, sig.name)
            try:
                return await deployer.deploy(release, strategy=strategy, dry_run=dry_run, stop=stop)
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)

        report = asyncio.run(main())
    if report.outcome is DeployOutcome.DRY_RUN:
        for line in report.plan:
            console.print(f"plan: {escape(line)}", soft_wrap=True)
        for g in report.gates:
            console.print(
                f"gate {g.name}: {'skipped' if g.skipped else 'pass' if g.passed else 'FAIL'}: {g.detail}"
            )
    written = write_report(report, output or reports_dir(spec))
    _summary(console, report, written)
    return report


def _run_rollback(
    *,
    path: Path,
    env: str | None,
    to: str | None,
    store: str | None,
    output: Path | None,
    console: Console,
    config: Path | None,
) -> DeployReport:
    from golive.cli._review import review_environ
    from golive.deploy.config import DeployConfig
    from golive.deploy.deployer import Deployer, reports_dir
    from golive.deploy.report import write_report
    from golive.history.store import open_store
    from golive.spec import Spec

    spec, loaded, env_name = _load(path, env, config)
    assert isinstance(spec, Spec) and isinstance(loaded, DeployConfig)
    with open_store(store, root=spec.root) as db:
        deployer = Deployer(
            spec=spec,
            config=loaded,
            env_name=env_name,
            store=db,
            environ=review_environ(),
            emit=_Printer(console),
        )

        async def main() -> DeployReport:
            # A rollback is itself the safe action: signals do not interrupt it.
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, lambda: console.print("[yellow]rollback in progress[/]"))
            try:
                return await deployer.rollback(to_version=to)
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)

        report = asyncio.run(main())
    written = write_report(report, output or reports_dir(spec))
    _summary(console, report, written)
    return report
