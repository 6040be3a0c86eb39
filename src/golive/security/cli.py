"""``golive security``: merge findings into one report or SARIF file, and accept findings.

:data:`app` is mounted as ``golive security`` through the family declaration in
:mod:`golive.security`.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from golive.cli._common import EXIT_GO, EXIT_NO_GO, handle_errors
from golive.errors import UsageError
from golive.kit.files import atomic_write
from golive.security.base import Severity
from golive.security.baseline import DEFAULT_BASELINE, BaselineEntry, dump_baseline, load_baseline
from golive.security.findings import FindingsReport, combine
from golive.security.render import dumps, from_json, render_markdown, render_text
from golive.security.sarif import to_sarif

app = typer.Typer(
    name="security", help="Security findings: merged reports, SARIF, baseline.", no_args_is_help=True
)

Paths = Annotated[list[Path], typer.Argument(help="findings.json files or directories of them.")]


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


def _sarif_text(report: FindingsReport, prefix: str) -> str:
    return json.dumps(to_sarif(report, prefix=prefix), indent=2) + "\n"


def _render(report: FindingsReport, fmt: str, fail_on: Severity, prefix: str) -> str:
    if fmt == "markdown":
        return render_markdown(report, fail_on)
    if fmt == "text":
        return render_text(report, fail_on, limit=500) + "\n"
    if fmt == "json":
        return dumps(report)
    if fmt == "sarif":
        return _sarif_text(report, prefix)
    raise UsageError(f"unknown format {fmt!r}: use markdown, text, json or sarif")


@app.command("report")
def report(
    paths: Paths,
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown, text, json or sarif.")] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    fail_on: Annotated[Severity, typer.Option(help="Exit 1 when a finding is this severe.")] = Severity.HIGH,
    prefix: Annotated[str, typer.Option(help="SARIF: prefix for file paths (repo-relative).")] = "",
) -> None:
    """Merge findings from security criteria into one de-duplicated report."""
    with handle_errors():
        merged = _load(paths)
        text = _render(merged, fmt, fail_on, prefix)
        if output:
            atomic_write(output, text)
        else:
            typer.echo(text, nl=False)
        raise typer.Exit(EXIT_NO_GO if merged.blocking(fail_on) else EXIT_GO)


@app.command("sarif")
def sarif(
    paths: Paths,
    output: Annotated[Path, typer.Option("--output", "-o", help="The .sarif file to write.")],
    prefix: Annotated[str, typer.Option(help="Prefix for file paths (repo-relative).")] = "",
) -> None:
    """Write one SARIF 2.1.0 file (for GitHub code scanning) from findings."""
    with handle_errors():
        merged = _load(paths)
        atomic_write(output, _sarif_text(merged, prefix))
        typer.echo(f"wrote {output} ({len(merged.findings)} findings, {len(merged.suppressed)} accepted)")


def _expiry(expires: str) -> date:
    try:
        until = date.fromisoformat(expires)
    except ValueError:
        raise UsageError(f"--expires {expires!r} is not a date (YYYY-MM-DD)") from None
    if until < date.today():
        raise UsageError("--expires is in the past")
    return until


@app.command("accept")
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
        entry = BaselineEntry(
            fingerprint=fingerprint,
            owner=owner,
            reason=reason,
            expires=_expiry(expires),
            rule_id=rule_id,
            location=location,
        )
        entries = [e for e in load_baseline(baseline) if e.fingerprint != fingerprint]
        entries.append(entry)
        atomic_write(baseline, dump_baseline(entries))
        typer.echo(f"{baseline}: {len(entries)} accepted finding(s)")
