"""The command line. This is the only package that prints or exits.

Exit codes: 0 GO, 1 NO-GO, 2 bad input, 3 internal error.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from golive import __version__
from golive.checks.registry import CheckRegistry
from golive.errors import EnvironmentSetupError, GoliveError, SpecError, StoreError, UsageError
from golive.results import Decision, Review, Tier

EXIT_GO, EXIT_NO_GO, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="golive",
    help="Measure, with evidence, whether a service is ready for production.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print an error without a traceback and exit."""
    _stderr().print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """Turn golive errors into messages and exit codes; never show a traceback by default."""
    try:
        yield
    except typer.Exit:
        raise
    except SpecError as exc:
        console = _stderr()
        for problem in exc.problems:
            console.print(escape(str(problem)), soft_wrap=True)
        n = len(exc.problems)
        console.print(f"[bold red]{n} problem{'s' if n != 1 else ''} in the spec[/]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (UsageError, StoreError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except EnvironmentSetupError as exc:
        fail(f"the environment could not be started: {exc}", EXIT_INTERNAL)
    except GoliveError as exc:
        fail(str(exc), EXIT_INTERNAL)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERNAL)
    except Exception as exc:  # the last line of defence: say what happened, briefly
        _stderr().print(f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}")
        if "--debug" in sys.argv or _debug_env():
            _stderr().print(traceback.format_exc())
        else:
            _stderr().print("[dim]set GOLIVE_DEBUG=1 for the traceback[/]")
        raise typer.Exit(EXIT_INTERNAL) from None


def _debug_env() -> bool:
    return os.environ.get("GOLIVE_DEBUG", "") not in ("", "0")


def registry() -> CheckRegistry:
    """The check registry with built-ins and plugins."""
    return CheckRegistry.default()


PathArg = Annotated[Path, typer.Argument(help="Spec file, or a directory containing golive.yaml.")]


@app.command("validate")
def validate_cmd(path: PathArg = Path(".")) -> None:
    """Validate a spec and list every problem with its line and column."""
    from golive.spec import SpecLoader

    with handle_errors():
        spec = SpecLoader(registry()).load(path)
        Console(highlight=False).print(
            f"[green]ok[/] {escape(str(spec.path))}: {len(spec.criteria)} criteria, "
            f"{len(spec.environments)} environment(s)"
        )


@app.command("schema")
def schema_cmd(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of golive.yaml (for editor completion)."""
    from golive.spec import spec_schema

    with handle_errors():
        text = json.dumps(spec_schema(registry()), indent=2, sort_keys=False) + "\n"
        if output:
            output.write_text(text)
        else:
            sys.stdout.write(text)


@app.command("list-checks")
def list_checks_cmd() -> None:
    """List the registered check types (built-in and plugins)."""
    with handle_errors():
        table = Table("type", "description", "module")
        for name, check_type in registry().items():
            table.add_row(name, check_type.description, check_type.__module__)
        Console().print(table)


@app.command("review")
def review_cmd(
    path: PathArg = Path("."),
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment name.")] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Criterion id or area; repeatable.")
    ] = None,
    tier: Annotated[Tier | None, typer.Option("--tier", help="Only this tier.")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Concurrent checks.")] = None,
    formats: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help="markdown, json, junit, html, prometheus; repeatable."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Report directory [default: SPEC_DIR/.golive/reports]."),
    ] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="History store URL [default: SQLite in .golive/].")
    ] = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Do not record the review.")] = False,
    no_up: Annotated[bool, typer.Option("--no-up", help="Do not run the environment's up/down.")] = False,
    allow_destructive: Annotated[
        bool, typer.Option("--allow-destructive", help="Allow steps marked destructive (staging only).")
    ] = False,
    load_workers: Annotated[
        int | None,
        typer.Option("--load-workers", "--workers", min=1, help="Locust worker processes for load checks."),
    ] = None,
) -> None:
    """Run every criterion as a real check, score it and decide GO / NO-GO."""
    from golive.cli._review import run_review

    with handle_errors():
        review = run_review(
            path=path,
            env=env,
            only=tuple(only or ()),
            tier=tier,
            jobs=jobs,
            formats=tuple(formats or ()),
            output=output,
            store=store,
            history=not no_history,
            up=not no_up,
            allow_destructive=allow_destructive,
            load_workers=load_workers,
        )
    raise typer.Exit(exit_code(review))


def exit_code(review: Review) -> int:
    """0 for GO, 1 for NO-GO; an interrupted review is never GO."""
    if review.interrupted:
        return EXIT_NO_GO
    return EXIT_GO if review.decision is Decision.GO else EXIT_NO_GO


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False,
) -> None:
    if version:
        typer.echo(f"golive {__version__}")
        raise typer.Exit(0)


init_app = typer.Typer(
    name="init",
    help="Write what a service is missing: monitoring, CI, DR runbook, production runbook.",
    no_args_is_help=True,
)
app.add_typer(init_app, name="init")

#: Modules that add commands; each has ``register(app, init_app)``.
FAMILY_CLIS = (
    "golive.monitoring.cli",
    "golive.testing.cli",
    "golive.security.cli",
    "golive.dr.cli",
    "golive.runbook.cli",
    "golive.load.cli",
    "golive.deploy.cli",
)


def _register_families() -> None:
    """Add commands that live in their own modules."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("golive.cli._history") is not None:
        importlib.import_module("golive.cli._history").register(app)
    for module in FAMILY_CLIS:
        # Families land one at a time; a family that is not installed adds no commands.
        if importlib.util.find_spec(module.rsplit(".", 1)[0]) is None:
            continue
        if importlib.util.find_spec(module) is None:
            continue
        importlib.import_module(module).register(app, init_app)


_register_families()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        raise SystemExit(exc.code) from None


__all__ = ["app", "main", "exit_code"]
