"""``golive security``: merge findings into one report or SARIF file, and accept findings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from golive.errors import UsageError
from golive.security.base import Severity
from golive.security.baseline import DEFAULT_BASELINE, BaselineEntry, dump_baseline, load_baseline
from golive.security.findings import FindingsReport, combine
from golive.security.render import dumps, from_json, render_markdown, render_text
from golive.security.sarif import to_sarif

EXIT_GO = 0
EXIT_NO_GO = 1


def _load(paths: list[Path]) -> FindingsReport:
    reports = []
    for path in paths:
        files = sorted(path.rglob("findings.json")) if path.is_dir() else [path]
        for f in files:
            try:
                reports.append(from_json(json.loads(f.read_text(encoding="utf-8"))))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise UsageError(f"{f}: not a golive findings.json ({exc})") from None
    if not reports:
        raise UsageError("no findings.json found in the given paths")
    return combine(reports)


def register(app: typer.Typer, init_app: typer.Typer) -> None:
    """Add the ``golive security`` commands."""
    from golive.cli import handle_errors

    security_app = typer.Typer(
        name="security", help="Security findings: merged reports, SARIF, baseline.", no_args_is_help=True
    )
    app.add_typer(security_app, name="security")
    del init_app

    @security_app.command("report")
    def report(
        paths: Annotated[list[Path], typer.Argument(help="findings.json files or directories of them.")],
        fmt: Annotated[str, typer.Option("--format", "-f", help="markdown, text, json or sarif.")] = "text",
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
        fail_on: Annotated[Severity, typer.Option(help="Exit 1 when a finding is this severe.")] = (
            Severity.HIGH
        ),
        prefix: Annotated[str, typer.Option(help="SARIF: prefix for file paths (repo-relative).")] = "",
    ) -> None:
        """Merge findings from security criteria into one de-duplicated report."""
        with handle_errors():
            merged = _load(paths)
            if fmt == "markdown":
                text = render_markdown(merged, fail_on)
            elif fmt == "text":
                text = render_text(merged, fail_on, limit=500) + "\n"
            elif fmt == "json":
                text = dumps(merged)
            elif fmt == "sarif":
                text = json.dumps(to_sarif(merged, prefix=prefix), indent=2) + "\n"
            else:
                raise UsageError(f"unknown format {fmt!r}: use markdown, text, json or sarif")
            if output:
                output.write_text(text, encoding="utf-8")
            else:
                typer.echo(text, nl=False)
            raise typer.Exit(EXIT_NO_GO if merged.blocking(fail_on) else EXIT_GO)

    @security_app.command("sarif")
    def sarif(
        paths: Annotated[list[Path], typer.Argument(help="findings.json files or directories of them.")],
        output: Annotated[Path, typer.Option("--output", "-o", help="The .sarif file to write.")],
        prefix: Annotated[str, typer.Option(help="Prefix for file paths (repo-relative).")] = "",
    ) -> None:
        """Write one SARIF 2.1.0 file (for GitHub code scanning) from findings."""
        with handle_errors():
            merged = _load(paths)
            output.write_text(json.dumps(to_sarif(merged, prefix=prefix), indent=2) + "\n", encoding="utf-8")
            typer.echo(f"wrote {output} ({len(merged.findings)} findings, {len(merged.suppressed)} accepted)")

    @security_app.command("accept")
    def accept(
        fingerprint: Annotated[str, typer.Argument(help="Fingerprint of the finding to accept.")],
        owner: Annotated[str, typer.Option(help="Who accepts the risk.")],
        reason: Annotated[str, typer.Option(help="Why it is acceptable for now.")],
        expires: Annotated[str, typer.Option(help="YYYY-MM-DD; the finding counts again after it.")],
        baseline: Annotated[Path, typer.Option(help="The baseline file.")] = Path(DEFAULT_BASELINE),
        rule_id: Annotated[str, typer.Option(help="Rule id, for readers of the file.")] = "",
        location: Annotated[str, typer.Option(help="Location, for readers of the file.")] = "",
    ) -> None:
        """Add (or replace) an accepted finding in the baseline."""
        with handle_errors():
            try:
                until = date.fromisoformat(expires)
            except ValueError:
                raise UsageError(f"--expires {expires!r} is not a date (YYYY-MM-DD)") from None
            if until < date.today():
                raise UsageError("--expires is in the past")
            entries = [e for e in load_baseline(baseline) if e.fingerprint != fingerprint]
            entries.append(
                BaselineEntry(
                    fingerprint=fingerprint,
                    owner=owner,
                    reason=reason,
                    expires=until,
                    rule_id=rule_id,
                    location=location,
                )
            )
            baseline.parent.mkdir(parents=True, exist_ok=True)
            baseline.write_text(dump_baseline(entries), encoding="utf-8")
            typer.echo(f"{baseline}: {len(entries)} accepted finding(s)")
