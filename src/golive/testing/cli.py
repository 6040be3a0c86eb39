"""``golive init ci``: write the GitHub Actions CI/CD pipeline of the discovered service."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from golive.cli._common import handle_errors, stdout
from golive.discover import Fact, ServiceFacts, Source, discover
from golive.errors import UsageError
from golive.testing._init_ci import all_steps, options_from_facts, write
from golive.testing.base import TestingError

__all__ = ["init_ci"]

_GIVEN = Source(path="command line", detail="golive init ci option")


def _given(value: str | None) -> Fact[str] | None:
    return Fact(value=value, source=_GIVEN) if value else None


def _override(facts: ServiceFacts, **given: str | None) -> ServiceFacts:
    """The facts with what the user passed on the command line in place of what was found."""
    changes = {k: _given(v) for k, v in given.items() if v and k != "test"}
    if given.get("test"):
        changes_tests = replace(facts.tests, command=_given(given["test"]))
        facts = replace(facts, tests=changes_tests)
    return replace(facts, **changes) if changes else facts  # type: ignore[arg-type]


def init_ci(
    path: Annotated[
        Path, typer.Argument(help="Repository root: workflows go to PATH/.github/workflows.")
    ] = Path("."),
    service: Annotated[str | None, typer.Option(help="Service name [default: the discovered one].")] = None,
    coverage: Annotated[int, typer.Option(min=0, max=100, help="Coverage gate, %.")] = 80,
    test: Annotated[str | None, typer.Option(help="Unit test command [default: discovered].")] = None,
    lint: Annotated[str | None, typer.Option(help="Lint command [default: discovered].")] = None,
    build: Annotated[str | None, typer.Option(help="Build command [default: discovered].")] = None,
    deploy: Annotated[
        str | None,
        typer.Option(help="Deploy command; $DEPLOY_ENV, $DEPLOY_VERSION are set [default: discovered]."),
    ] = None,
    rollback: Annotated[str | None, typer.Option(help="Rollback command [default: discovered].")] = None,
    branch: Annotated[str | None, typer.Option(help="Branch deploys run from [default: discovered].")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite workflows you changed (or golive did not write).")
    ] = False,
) -> None:
    """Write a GitHub Actions CI/CD pipeline (ci.yml, cd.yml) from what golive discovers.

    Every command is the repository's own (see `golive init --explain`); a step golive
    could not fill in is a `golive TODO` placeholder that fails until you replace it.
    """
    with handle_errors():
        if not path.is_dir():
            raise UsageError(f"{path}: not a directory; pass the repository root")
        facts = _override(
            discover(path),
            lint_command=lint,
            build_command=build,
            deploy_command=deploy,
            rollback_command=rollback,
            default_branch=branch,
            test=test,
        )
        options = options_from_facts(facts, service=service, coverage=coverage)
        try:
            written = write(path, options, force=force)
        except TestingError as exc:
            raise UsageError(str(exc)) from None  # the team's own workflows: bad input, not a crash
        console = stdout()
        for p in written:
            console.print(f"[green]wrote[/] {escape(str(p))}")
        if not written:
            console.print("the workflows are up to date")
        todos = [s.name for s in all_steps(options) if s.placeholder]
        if todos:
            console.print(
                f"[yellow]{len(todos)} golive TODO step(s) to fill in[/] (they fail until you do): "
                + escape(", ".join(dict.fromkeys(todos)))
            )
        console.print(
            "next: add required reviewers to the 'production' environment "
            "(Settings > Environments) and set STAGING_URL / PRODUCTION_URL variables"
        )
