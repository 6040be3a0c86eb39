"""``golive report`` and ``golive signoff``: the readiness package and the sign-offs it needs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from golive.cli._common import (
    EXIT_GO,
    EXIT_NO_GO,
    EnvOption,
    PathArg,
    check_output_dir,
    handle_errors,
    load_environment,
    stdout,
)
from golive.errors import UsageError
from golive.history.base import ReviewSummary
from golive.history.store import open_store
from golive.reporters.base import ReporterError
from golive.reporters.package import DEFAULT_SIGNERS, load_package, normalize_decision, write_package
from golive.results import Decision

StoreOption = Annotated[
    str | None, typer.Option("--store", help="History store URL [default: SQLite in .golive/].")
]


def report_cmd(
    path: PathArg = Path("."),
    env: EnvOption = None,
    store: StoreOption = None,
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
        typer.Option(
            "--require-role",
            help="Role that must sign; repeatable [default: engineering, operations, product].",
        ),
    ] = None,
) -> None:
    """Write the readiness package (report, risks, tests, launch plan, sign-off).

    Exit code 0 when the latest review is GO, 1 when it is NO-GO.
    """
    with handle_errors():
        try:
            spec, name, _ = load_environment(path, env)
            out_dir = output or spec.root / ".golive" / "reports"
            check_output_dir(out_dir, option="--output" if output else "report directory")
            with open_store(store, root=spec.root) as db:
                package = load_package(
                    db,
                    service=spec.service.name,
                    environment=name,
                    spec=spec,
                    signers=tuple(roles or DEFAULT_SIGNERS),
                )
            written = write_package(package, out_dir, tuple(formats or ("markdown", "html")))
        except ReporterError as exc:
            raise UsageError(str(exc)) from None
        console = stdout()
        colour = "green" if package.go else "red"
        console.print(
            f"[bold {colour}]{package.review.decision.value}[/] {escape(spec.service.name)} "
            f"({escape(name)}): readiness {package.review.scorecard.readiness:.1f}%; "
            f"{escape(package.signoff_status)}"
        )
        for p in written:
            console.print(f"[dim]package:[/] {escape(str(p))}")
    raise typer.Exit(EXIT_GO if package.go else EXIT_NO_GO)


def _override_reason(override: str | None, chosen: str, latest: ReviewSummary) -> str:
    """The override reason, checked: only for signing GO on a NO-GO review, and never empty."""
    reason = (override or "").strip()
    if override is not None and not reason:
        raise UsageError("--override needs a reason")
    if chosen == Decision.GO.value and latest.decision is Decision.NO_GO:
        if not reason:
            raise UsageError(f"review #{latest.id} is NO-GO: signing GO needs --override REASON")
    elif reason:
        raise UsageError(
            "--override is only for signing GO on a NO-GO review "
            f"(review #{latest.id} is {latest.decision.value})"
        )
    return reason


def signoff_cmd(
    path: PathArg = Path("."),
    env: EnvOption = None,
    signer: Annotated[str, typer.Option("--as", help="Who signs.")] = "",
    role: Annotated[str, typer.Option("--role", help="Their role, e.g. 'Engineering lead'.")] = "",
    decision: Annotated[str, typer.Option("--decision", help="go or no-go.")] = "",
    comment: Annotated[str, typer.Option("--comment", help="Free text.")] = "",
    override: Annotated[
        str | None, typer.Option("--override", help="Reason for signing GO on a NO-GO review.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Record a go / no-go sign-off on the latest review, in history."""
    with handle_errors():
        missing = [
            o for o, v in (("--as", signer), ("--role", role), ("--decision", decision)) if not v.strip()
        ]
        if missing:
            raise UsageError("missing " + ", ".join(missing))
        try:
            chosen = normalize_decision(decision)
        except ReporterError as exc:
            raise UsageError(str(exc)) from None
        spec, name, _ = load_environment(path, env)
        with open_store(store, root=spec.root) as db:
            summaries = [s for s in db.reviews(spec.service.name, name, limit=50) if s.complete]
            if not summaries:
                raise UsageError(
                    f"no complete review of {spec.service.name} in {name} to sign; run golive review first"
                )
            latest = summaries[0]
            reason = _override_reason(override, chosen, latest)
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
        stdout().print(
            f"[green]signed[/] {escape(label)} by {escape(signer)} ({escape(role)}) on review "
            f"#{latest.id} of {escape(spec.service.name)} ({escape(name)}), "
            f"which is {latest.decision.value}"
        )
