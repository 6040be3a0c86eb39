"""``golive init ci``: write a GitHub Actions CI/CD pipeline (a command function)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from golive.cli._common import handle_errors, stdout
from golive.errors import UsageError
from golive.testing._init_ci import CiOptions, write
from golive.testing.base import TestingError

__all__ = ["init_ci"]


def init_ci(
    path: Annotated[
        Path, typer.Argument(help="Repository root: workflows go to PATH/.github/workflows.")
    ] = Path("."),
    service: Annotated[str | None, typer.Option(help="Service name [default: directory name].")] = None,
    working_directory: Annotated[str, typer.Option(help="Service directory inside the repository.")] = ".",
    python: Annotated[str, typer.Option(help="Python version.")] = "3.11",
    source: Annotated[str, typer.Option(help="Source directory (security scan).")] = "src",
    cov: Annotated[str, typer.Option(help="What --cov measures.")] = "src",
    coverage: Annotated[int, typer.Option(min=0, max=100, help="Coverage gate, %.")] = 80,
    lint: Annotated[str, typer.Option(help="Lint command.")] = "ruff check .",
    types: Annotated[str, typer.Option(help="Type-check command.")] = "mypy",
    unit: Annotated[
        str, typer.Option(help="Unit test command.")
    ] = 'python -m pytest tests -m "not postgres"',
    integration: Annotated[
        str, typer.Option(help="Integration test command (a PostgreSQL service runs).")
    ] = 'python -m pytest tests -m "postgres"',
    e2e: Annotated[str, typer.Option(help="E2E test command.")] = "python -m pytest e2e -m critical",
    pg_url_env: Annotated[
        str, typer.Option(help="Variable the integration tests read the PostgreSQL URL from.")
    ] = "TEST_DATABASE_URL",
    deploy: Annotated[
        str, typer.Option(help="Deploy command ($DEPLOY_ENV, $DEPLOY_VERSION are set).")
    ] = './deploy.sh "$DEPLOY_ENV" "$DEPLOY_VERSION"',
    rollback: Annotated[str, typer.Option(help="Rollback command.")] = './deploy.sh "$DEPLOY_ENV" --rollback',
    staging_env: Annotated[
        str, typer.Option(help="golive environment reviewed before production.")
    ] = "staging",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite workflows you changed (or golive did not write).")
    ] = False,
) -> None:
    """Write a GitHub Actions CI/CD pipeline (ci.yml, cd.yml) that passes ci.pipeline."""
    with handle_errors():
        options = CiOptions(
            service=service or path.resolve().name,
            working_directory=working_directory,
            python=python,
            source_dir=source,
            cov_target=cov,
            coverage=coverage,
            lint_command=lint,
            types_command=types,
            unit_command=unit,
            integration_command=integration,
            e2e_command=e2e,
            pg_url_env=pg_url_env,
            deploy_command=deploy,
            rollback_command=rollback,
            staging_env=staging_env,
        )
        try:
            written = write(path, options, force=force)
        except TestingError as exc:
            raise UsageError(str(exc)) from None  # the team's own workflows: bad input, not a crash
        console = stdout()
        for p in written:
            console.print(f"[green]wrote[/] {escape(str(p))}")
        if not written:
            console.print("the workflows are up to date")
        console.print(
            "next: add required reviewers to the 'production' environment "
            "(Settings > Environments) and set STAGING_URL / PRODUCTION_URL variables"
        )
