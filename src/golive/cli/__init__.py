"""The command line. This is the only package that prints or exits.

Exit codes: 0 GO, 1 NO-GO, 2 bad input, 3 internal error. Core commands are defined here;
every family's commands (``golive monitoring``, ``golive deploy``, ``golive init ci``, ...)
come from the families' declarations and are imported only when run.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated

import typer
from typer import _click as click  # typer vendors click; its classes are these

from golive import __version__
from golive.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_GO,
    EXIT_INTERNAL,
    EXIT_NO_GO,
    PathArg,
    fail,
    handle_errors,
    load_spec,
    registry,
    stderr,
    stdout,
)
from golive.cli._lazy import LazyGroup, lazy_group
from golive.kit.family import Command, Families
from golive.results import Decision, Review, Tier

#: Core commands that import heavy libraries (SQLAlchemy, jinja2): mounted like a family's.
CORE_COMMANDS: Mapping[str, Command] = {
    "history": Command(target="golive.cli._history:history_cmd", help="Readiness over time, from history."),
    "diff": Command(
        target="golive.cli._history:diff_cmd", help="What changed between the latest two reviews."
    ),
    "report": Command(
        target="golive.cli._package:report_cmd",
        help="Write the readiness package (report, risks, tests, launch plan, sign-off).",
    ),
    "signoff": Command(
        target="golive.cli._package:signoff_cmd", help="Record a go / no-go sign-off on the latest review."
    ),
}


@cache
def _families() -> Families:
    return Families.installed()


def _top_commands() -> dict[str, Command]:
    return {**CORE_COMMANDS, **_families().commands()}


def _init_commands() -> dict[str, Command]:
    return _families().init_commands()


app = typer.Typer(
    name="golive",
    help="Measure, with evidence, whether a service is ready for production.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    cls=lazy_group(_top_commands),
)


class _InitGroup(LazyGroup):
    """``golive init [PATH]`` writes the spec; ``golive init <generator>`` runs a generator.

    A group's own positional argument would swallow the generator's name, so PATH is taken
    here: a first positional word that is not a generator becomes the hidden ``--path``.
    """

    lazy_commands = staticmethod(_init_commands)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Turn ``golive init DIR ...`` into ``golive init --path DIR ...``."""
        rest = list(args)
        i = 0
        while i < len(rest) and rest[i] != "--":
            if rest[i] in ("--output", "-o"):
                i += 2
            elif rest[i].startswith("-"):
                i += 1
            else:
                if rest[i] not in self.list_commands(ctx):
                    rest[i : i + 1] = ["--path", rest[i]]
                break
        return super().parse_args(ctx, rest)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        """``[OPTIONS] [PATH] | COMMAND [ARGS]...``."""
        return ["[OPTIONS] [PATH] | COMMAND [ARGS]..."]


init_app = typer.Typer(
    name="init",
    help="Discover the service in PATH (default: .) and write its golive.yaml; or, with a command, "
    "write what the service is missing: monitoring, CI, DR runbook, production runbook.",
    rich_markup_mode=None,
    cls=_InitGroup,
)
app.add_typer(init_app, name="init")


@init_app.callback(invoke_without_command=True)
def _init_spec(
    ctx: typer.Context,
    path: Annotated[Path, typer.Option("--path", hidden=True, help="The repository.")] = Path("."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the spec here [default: PATH/golive.yaml].")
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Print every discovered fact with where it was found, and what was not found; "
            "writes nothing unless --output is given.",
        ),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the spec instead of writing it.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing golive.yaml.")] = False,
) -> None:
    """Discover the service and write a starter golive.yaml (the spec) covering every area."""
    if ctx.invoked_subcommand is not None:
        if path != Path(".") or output or explain or dry_run or force:
            fail(
                f"options before `{ctx.invoked_subcommand}` belong to `golive init` itself: "
                f"write them after the command (golive init {ctx.invoked_subcommand} --help)"
            )
        return
    from golive.cli._init_spec import InitSpecRequest, init_spec

    with handle_errors():
        init_spec(InitSpecRequest(path=path, output=output, explain=explain, dry_run=dry_run, force=force))


@app.command("validate")
def validate_cmd(path: PathArg = Path(".")) -> None:
    """Validate a spec and list every problem with its line and column, then any warnings."""
    from rich.markup import escape

    from golive.spec import SpecLoader

    with handle_errors():
        checks = registry()  # one registry for both: the families' entry points are read once
        spec = load_spec(path, checks)
        for warning in SpecLoader(checks).warnings(spec):
            stderr().print(f"[yellow]warning:[/] {escape(str(warning))}", soft_wrap=True)
        stdout().print(
            f"[green]ok[/] {escape(str(spec.path))}: {len(spec.criteria)} criteria, "
            f"{len(spec.environments)} environment(s)"
        )


@app.command("schema")
def schema_cmd(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of golive.yaml (for editor completion)."""
    from golive.kit.files import atomic_write
    from golive.spec import spec_schema

    with handle_errors():
        text = json.dumps(spec_schema(registry()), indent=2, sort_keys=False) + "\n"
        if output:
            atomic_write(output, text)
        else:
            sys.stdout.write(text)


@app.command("list-checks")
def list_checks_cmd() -> None:
    """List the registered check types (built-in and plugins)."""
    from rich.table import Table  # fractions and decimal load for a table only
    from rich.text import Text

    with handle_errors():
        table = Table("type", "description", "module")
        for name, check_type in registry().items():
            table.add_row(Text(name), Text(check_type.description), Text(check_type.__module__))
        stdout().print(table)


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
        bool,
        typer.Option(
            "--allow-destructive",
            help="Allow destructive steps in a production environment that opts in "
            "(allow_destructive: true); other environments allow them anyway.",
        ),
    ] = False,
    load_workers: Annotated[
        int | None,
        typer.Option("--load-workers", "--workers", min=1, help="Locust worker processes for load checks."),
    ] = None,
    reuse: Annotated[
        str | None,
        typer.Option(
            "--reuse",
            metavar="DURATION",
            help="Reuse earlier evidence at most this old (e.g. 24h) for every reusable check whose "
            "inputs did not change; a criterion's own `reuse:` wins. Checks of the running system "
            "always run.",
        ),
    ] = None,
) -> None:
    """Run every criterion as a real check, score it and decide GO / NO-GO."""
    from golive.cli._review import ReviewRequest, run_review

    with handle_errors():
        review = run_review(
            ReviewRequest(
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
                reuse=reuse,
            )
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


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        raise SystemExit(exc.code) from None
    finally:
        # What is still allocated lives until the process ends: spare the interpreter's closing
        # collection a pass over all of it (about 40 ms of `golive validate`). Objects are freed
        # by reference counting as before; only cycles still alive at exit are left to the OS.
        gc.freeze()


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_GO",
    "EXIT_INTERNAL",
    "EXIT_NO_GO",
    "app",
    "exit_code",
    "fail",
    "handle_errors",
    "main",
    "registry",
]
