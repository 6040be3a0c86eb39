"""Commands of the runbook family: ``golive init runbook``, ``golive report``, ``golive signoff``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from golive.errors import UsageError
from golive.runbook.base import RunbookError
from golive.spec.models import Spec

__all__ = ["register"]

PathArg = Annotated[Path, typer.Argument(help="Spec file, or a directory containing golive.yaml.")]
EnvOpt = Annotated[str | None, typer.Option("--env", "-e", help="Environment name.")]
StoreOpt = Annotated[
    str | None, typer.Option("--store", help="History store URL [default: SQLite in .golive/].")
]


def _load(path: Path, env: str | None) -> tuple[Spec, str]:
    from golive.cli import registry
    from golive.spec import SpecLoader

    spec = SpecLoader(registry()).load(path)
    if env is not None and env not in spec.environments:
        raise UsageError(
            f"unknown environment {env!r}; the spec defines: {', '.join(spec.environments)}"
        )
    name, _ = spec.environment(env)
    return spec, name


@contextlib.contextmanager
def _bad_input() -> Iterator[None]:
    """A runbook error caused by what the user asked for is bad input (exit 2), not a crash."""
    try:
        yield
    except RunbookError as exc:
        raise UsageError(str(exc)) from None


def register(app: typer.Typer, init_app: typer.Typer) -> None:
    """Add the family's commands to the ``golive`` app and its ``init`` sub-app."""

    @init_app.command("runbook")
    def init_runbook(
        path: PathArg = Path("."),
        env: EnvOpt = None,
        output: Annotated[
            Path | None,
            typer.Option(
                "--output", "-o", help="Where to write [default: SPEC_DIR/docs/PRODUCTION_RUNBOOK.md]."
            ),
        ] = None,
        probe: Annotated[
            bool,
            typer.Option(
                "--probe/--no-probe",
                help="Ask a running instance (the environment's base_url) about its readiness "
                "details, metrics, version and error codes.",
            ),
        ] = True,
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing runbook.")] = False,
    ) -> None:
        """Write a production runbook from the spec, with TODO(team) blanks for the rest."""
        from golive.cli import handle_errors
        from golive.runbook._markdown import parse_runbook
        from golive.runbook.checks import DEFAULT_PATH
        from golive.runbook.generate import gather_facts, probe_service, render_runbook, write_runbook

        with handle_errors(), _bad_input():
            spec, name = _load(path, env)
            environment = spec.environments[name]
            target = output or spec.root / DEFAULT_PATH
            console = Console(highlight=False)
            found = None
            if probe:
                found = probe_service(environment, {**os.environ, **environment.vars})
                if found is None:
                    console.print(
                        f"[yellow]note:[/] {escape(environment.base_url)} did not answer; "
                        "writing the runbook from the spec only"
                    )
            facts = gather_facts(spec, runbook_path=target, probe=found)
            text = render_runbook(facts)
            write_runbook(target, text, force=force)
            steps = sum(1 for b in parse_runbook(text).blocks if b.runnable)
            console.print(
                f"[green]wrote[/] {escape(str(target))}: {steps} verify steps, "
                f"{len(facts.alerts)} alerts, {len(facts.dependencies)} dependencies; "
                "fill in every TODO(team) line, then run golive review"
            )

    @app.command("report")
    def report_cmd(
        path: PathArg = Path("."),
        env: EnvOpt = None,
        store: StoreOpt = None,
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Directory [default: SPEC_DIR/.golive/reports]."),
        ] = None,
        formats: Annotated[
            list[str] | None,
            typer.Option("--format", "-f", help="markdown, html; repeatable [default: both]."),
        ] = None,
        roles: Annotated[
            list[str] | None,
            typer.Option("--require-role", help="Role that must sign; repeatable "
                         "[default: engineering, operations, product]."),
        ] = None,
    ) -> None:
        """Write the readiness package (report, risks, tests, launch plan, sign-off).

        Exit code 0 when the latest review is GO, 1 when it is NO-GO.
        """
        from golive.cli import EXIT_GO, EXIT_NO_GO, handle_errors
        from golive.history.store import open_store
        from golive.runbook.package import DEFAULT_SIGNERS, load_package, write_package

        with handle_errors(), _bad_input():
            spec, name = _load(path, env)
            with open_store(store, root=spec.root) as db:
                package = load_package(
                    db,
                    service=spec.service.name,
                    environment=name,
                    spec=spec,
                    signers=tuple(roles or DEFAULT_SIGNERS),
                )
            out_dir = output or spec.root / ".golive" / "reports"
            written = write_package(package, out_dir, tuple(formats or ("markdown", "html")))
            console = Console(highlight=False)
            colour = "green" if package.go else "red"
            console.print(
                f"[bold {colour}]{package.review.decision.value}[/] {escape(spec.service.name)} "
                f"({escape(name)}): readiness {package.review.scorecard.readiness:.1f}%; "
                f"{escape(package.signoff_status)}"
            )
            for p in written:
                console.print(f"[dim]package:[/] {escape(str(p))}")
        raise typer.Exit(EXIT_GO if package.go else EXIT_NO_GO)

    @app.command("signoff")
    def signoff_cmd(
        path: PathArg = Path("."),
        env: EnvOpt = None,
        signer: Annotated[str, typer.Option("--as", help="Who signs.")] = "",
        role: Annotated[str, typer.Option("--role", help="Their role, e.g. 'Engineering lead'.")] = "",
        decision: Annotated[str, typer.Option("--decision", help="go or no-go.")] = "",
        comment: Annotated[str, typer.Option("--comment", help="Free text.")] = "",
        override: Annotated[
            str | None,
            typer.Option("--override", help="Reason for signing GO on a NO-GO review."),
        ] = None,
        store: StoreOpt = None,
    ) -> None:
        """Record a go / no-go sign-off on the latest review, in history."""
        from golive.cli import handle_errors
        from golive.history.store import open_store
        from golive.results import Decision
        from golive.runbook.package import normalize_decision

        with handle_errors(), _bad_input():
            missing = [o for o, v in (("--as", signer), ("--role", role), ("--decision", decision))
                       if not v.strip()]
            if missing:
                raise UsageError("missing " + ", ".join(missing))
            chosen = normalize_decision(decision)
            spec, name = _load(path, env)
            with open_store(store, root=spec.root) as db:
                summaries = [s for s in db.reviews(spec.service.name, name, limit=50) if s.complete]
                if not summaries:
                    raise UsageError(
                        f"no complete review of {spec.service.name} in {name} to sign; "
                        "run golive review first"
                    )
                latest = summaries[0]
                reason = (override or "").strip()
                if override is not None and not reason:
                    raise UsageError("--override needs a reason")
                if chosen == Decision.GO.value and latest.decision is Decision.NO_GO:
                    if not reason:
                        raise UsageError(
                            f"review #{latest.id} is NO-GO: signing GO needs --override REASON"
                        )
                elif reason:
                    raise UsageError(
                        "--override is only for signing GO on a NO-GO review "
                        f"(review #{latest.id} is {latest.decision.value})"
                    )
                db.add_signoff(
                    service=spec.service.name,
                    environment=name,
                    name=signer.strip(),
                    role=role.strip(),
                    decision=chosen,
                    comment=comment,
                    override_reason=reason,
                    review_id=latest.id,
                )
            label = f"{chosen} (override)" if reason else chosen
            Console(highlight=False).print(
                f"[green]signed[/] {escape(label)} by {escape(signer)} ({escape(role)}) on review "
                f"#{latest.id} of {escape(spec.service.name)} ({escape(name)}), "
                f"which is {latest.decision.value}"
            )
