"""Mounting the families' commands without importing them until one is run.

``golive --help`` lists every family command from the declarations alone (name and help);
the module behind a command is imported only when that command (or its ``--help``) runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import typer
import typer.core
import typer.main
from typer import _click as click  # typer vendors click; its classes are these

from golive.kit.family import Command, load_target


def _click_command(name: str, target: object) -> click.Command:
    """A Typer app becomes a click group, a plain function a click command named ``name``."""
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    if callable(target):
        holder = typer.Typer(add_completion=False, rich_markup_mode=None)
        holder.command(name)(target)
        command = typer.main.get_command(holder)
        command.name = name
        return command
    raise click.ClickException(f"{name}: {target!r} is neither a Typer app nor a function")


class LazyGroup(typer.core.TyperGroup):
    """A Typer group that adds commands declared by families, imported on first use."""

    lazy_commands: Callable[[], Mapping[str, Command]] = staticmethod(lambda: {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Own commands first, then the families' (in declaration order)."""
        own = super().list_commands(ctx)
        return own + [n for n in self.lazy_commands() if n not in own]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Own command, or import the family command of that name."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        declared = self.lazy_commands().get(cmd_name)
        if declared is None:
            return None
        loaded = _click_command(cmd_name, load_target(declared.target))
        self.add_command(loaded, cmd_name)
        return loaded

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands with their declared help, without importing any family module."""
        rows = []
        declared = self.lazy_commands()
        for name in self.list_commands(ctx):
            own = super().get_command(ctx, name)
            if own is not None and not own.hidden:
                rows.append((name, own.get_short_help_str(limit=80)))
            elif name in declared:
                rows.append((name, declared[name].help))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))


def lazy_group(source: Callable[[], Mapping[str, Command]]) -> type[LazyGroup]:
    """A :class:`LazyGroup` subclass whose family commands come from ``source``."""
    return type("FamilyGroup", (LazyGroup,), {"lazy_commands": staticmethod(source)})
