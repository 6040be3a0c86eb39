"""``golive init runbook``: write a production runbook from the spec (a command function)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from golive.cli._common import EnvOption, PathArg, handle_errors, load_environment, stdout
from golive.errors import UsageError
from golive.kit.environment import Variables
from golive.runbook._markdown import parse_runbook
from golive.runbook._params import DEFAULT_PATH
from golive.runbook.base import RunbookError
from golive.runbook.generate import gather_facts, probe_service, render_runbook, write_runbook

__all__ = ["init_runbook"]


def init_runbook(
    path: PathArg = Path("."),
    env: EnvOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write [default: SPEC_DIR/docs/PRODUCTION_RUNBOOK.md]."),
    ] = None,
    probe: Annotated[
        bool,
        typer.Option(
            "--probe/--no-probe",
            help="Ask a running instance (the environment's base_url) about its readiness "
            "details, metrics, version and error codes.",
        ),
    ] = True,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a runbook you changed (or golive did not write).")
    ] = False,
) -> None:
    """Write a production runbook from the spec, with TODO(team) blanks for the rest."""
    with handle_errors():
        spec, _, environment = load_environment(path, env)
        target = output or spec.root / DEFAULT_PATH
        console = stdout()
        found = None
        from golive.discover import discover  # reads the repository only when the command runs

        discovered = discover(spec.root)
        if probe:
            found = probe_service(environment, Variables.for_process(environment.vars), facts=discovered)
            if found is None:
                console.print(
                    f"[yellow]note:[/] {escape(environment.base_url or 'no base_url:')} did not answer; "
                    "writing the runbook from the spec only"
                )
        facts = gather_facts(spec, runbook_path=target, probe=found, facts=discovered)
        text = render_runbook(facts)
        try:
            write_runbook(target, text, force=force)
        except RunbookError as exc:
            raise UsageError(str(exc)) from None  # the user's own file: bad input, not a crash
        steps = sum(1 for b in parse_runbook(text).blocks if b.runnable)
        console.print(
            f"[green]wrote[/] {escape(str(target))}: {steps} verify steps, "
            f"{len(facts.alerts)} alerts, {len(facts.dependencies)} dependencies; "
            "fill in every TODO(team) line, then run golive review"
        )
