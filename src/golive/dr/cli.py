"""Commands of the dr family: ``golive init dr`` writes the DR runbook from the spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from golive.errors import UsageError

__all__ = ["register"]


def register(app: typer.Typer, init_app: typer.Typer) -> None:
    """Add ``golive init dr``."""

    @init_app.command("dr")
    def init_dr(
        path: Annotated[
            Path, typer.Argument(help="Spec file, or a directory containing golive.yaml.")
        ] = Path("."),
        env: Annotated[str | None, typer.Option("--env", "-e", help="Environment name.")] = None,
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Where to write (default: SPEC_DIR/docs/DR_RUNBOOK.md)."),
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite a runbook that differs.")] = False,
        stdout: Annotated[bool, typer.Option("--stdout", help="Print instead of writing.")] = False,
    ) -> None:
        """Write the DR runbook: objectives, backups, recovery with the drill's exact commands."""
        from golive.cli import handle_errors, registry
        from golive.dr._runbook import DEFAULT_PATH, render_dr_runbook
        from golive.spec import SpecLoader

        with handle_errors():
            spec = SpecLoader(registry()).load(path)
            if env is not None and env not in spec.environments:
                raise UsageError(
                    f"unknown environment {env!r}; the spec defines: {', '.join(spec.environments)}"
                )
            env_name, _ = spec.environment(env)
            text = render_dr_runbook(spec, env_name)
            if stdout:
                typer.echo(text, nl=False)
                return
            target = output if output is not None else spec.root / DEFAULT_PATH
            console = Console(highlight=False)
            if target.exists():
                if target.read_text() == text:
                    console.print(f"[green]up to date[/] {escape(str(target))}")
                    return
                if not force:
                    raise UsageError(f"{target} exists and differs; re-run with --force to overwrite it")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            console.print(f"[green]wrote[/] {escape(str(target))}")
