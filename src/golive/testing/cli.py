"""CLI of the testing family: ``golive init ci``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer, init_app: typer.Typer) -> None:
    """Add ``golive init ci``."""
    del app  # the family adds no top-level commands

    @init_app.command("ci")
    def init_ci(
        path: Annotated[
            Path, typer.Argument(help="Repository root: workflows go to PATH/.github/workflows.")
        ] = Path("."),
        service: Annotated[
            str | None, typer.Option(help="Service name [default: directory name].")
        ] = None,
        working_directory: Annotated[
            str, typer.Option(help="Service directory inside the repository.")
        ] = ".",
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
        e2e: Annotated[
            str, typer.Option(help="E2E test command.")
        ] = "python -m pytest e2e -m critical",
        pg_url_env: Annotated[
            str, typer.Option(help="Variable the integration tests read the PostgreSQL URL from.")
        ] = "TEST_DATABASE_URL",
        deploy: Annotated[
            str, typer.Option(help="Deploy command ($DEPLOY_ENV, $DEPLOY_VERSION are set).")
        ] = './deploy.sh "$DEPLOY_ENV" "$DEPLOY_VERSION"',
        rollback: Annotated[
            str, typer.Option(help="Rollback command.")
        ] = './deploy.sh "$DEPLOY_ENV" --rollback',
        staging_env: Annotated[
            str, typer.Option(help="golive environment reviewed before production.")
        ] = "staging",
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite existing workflows.")
        ] = False,
    ) -> None:
        """Write a GitHub Actions CI/CD pipeline (ci.yml, cd.yml) that passes ci.pipeline."""
        from rich.console import Console

        from golive.cli import handle_errors
        from golive.testing._init_ci import CiOptions, write

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
            written = write(path, options, force=force)
            console = Console(highlight=False)
            for p in written:
                console.print(f"[green]wrote[/] {p}")
            console.print(
                "next: add required reviewers to the 'production' environment "
                "(Settings > Environments) and set STAGING_URL / PRODUCTION_URL variables"
            )
