"""Commands of the dr family: ``golive init dr`` writes the DR runbook from the spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from golive.cli._common import EnvOption, PathArg, handle_errors, load_environment, stdout
from golive.errors import UsageError
from golive.kit.files import Action, GeneratedFiles

__all__ = ["init_dr"]


def init_dr(
    path: PathArg = Path("."),
    env: EnvOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (default: SPEC_DIR/docs/DR_RUNBOOK.md)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a runbook you changed.")] = False,
    to_stdout: Annotated[bool, typer.Option("--stdout", help="Print instead of writing.")] = False,
) -> None:
    """Write the DR runbook: objectives, backups, recovery with the drill's exact commands.

    A runbook golive wrote and nobody changed since is regenerated; one you edited is kept
    unless --force (golive records what it wrote in .golive-init.json beside it).
    """
    # jinja2 and the dr params load only when the command runs.
    from golive.dr._runbook import DEFAULT_PATH, render_dr_runbook

    with handle_errors():
        spec, env_name, _ = load_environment(path, env)
        from golive.discover import discover  # reads the repository only when the command runs

        text = render_dr_runbook(spec, env_name, discover(spec.root))
        if to_stdout:
            typer.echo(text, nl=False)
            return
        target = output if output is not None else spec.root / DEFAULT_PATH
        files = GeneratedFiles(root=target.parent, generator="golive init dr")
        planned = files.plan({target.name: text})
        if planned[0].action is Action.CONFLICT and not force:
            raise UsageError(f"{target} exists and differs; re-run with --force to overwrite it")
        written = files.apply(planned, overwrite=[target.name])
        state = "wrote" if written else "up to date"
        stdout().print(f"[green]{state}[/] {escape(str(target))}")
