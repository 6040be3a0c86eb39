"""``golive history`` and ``golive diff``: readiness over time, and what changed last.

Both read the history store next to the spec (or ``--store``). The spec (validated like
every other command's) gives the service name and environments; with ``--service`` the
spec is not read at all, so the history of a spec that no longer validates stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from golive.cli._common import handle_errors, load_spec, stdout
from golive.errors import UsageError
from golive.history import (
    ChangeKind,
    DeployRecord,
    ReviewDiff,
    ReviewSummary,
    SqlStore,
    open_store,
)
from golive.history.store import DEFAULT_DB_PATH
from golive.results import Decision, Status

__all__ = ["diff_cmd", "history_cmd", "sparkline"]

SPEC_FILENAMES = ("golive.yaml", "golive.yml")
"""Spec file names looked for in a directory, as the spec loader does."""
SPARK_CHARS = "▁▂▃▄▅▆▇█"
"""Sparkline levels, lowest (0%) to highest (100%)."""

PathArg = Annotated[
    Path,
    typer.Argument(help="Spec file, or a directory containing golive.yaml.", show_default=True),
]
EnvOpt = Annotated[str | None, typer.Option("--env", "-e", help="Environment name.")]
StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="History store URL [default: SQLite in SPEC_DIR/.golive/]."),
]
ServiceOpt = Annotated[
    str | None, typer.Option("--service", help="Service name [default: from golive.yaml].")
]


# -- what the path points at -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Target:
    """Where the store is and what the spec (if any) says about the service."""

    root: Path
    spec_file: Path | None
    service: str | None
    environments: tuple[str, ...]
    default_environment: str | None


def _target(path: Path, service: str | None) -> _Target:
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if path.is_dir():
        root = path
        found = [path / name for name in SPEC_FILENAMES if (path / name).is_file()]
        spec_file = found[0] if found else None
    else:
        root, spec_file = path.parent, path
    if spec_file is None or service is not None:
        return _Target(
            root=root, spec_file=spec_file, service=service, environments=(), default_environment=None
        )
    spec = load_spec(spec_file)
    return _Target(
        root=root,
        spec_file=spec_file,
        service=spec.service.name,
        environments=tuple(spec.environments),
        default_environment=spec.default_environment,
    )


def _open(target: _Target, store: str | None) -> SqlStore | None:
    """The store, or ``None`` when the default store was never created (nothing recorded)."""
    if store is None and not (target.root / DEFAULT_DB_PATH).is_file():
        return None
    return open_store(store, root=target.root)


def _console() -> Console:
    return stdout()


# -- golive history --------------------------------------------------------------------------


def history_cmd(
    path: PathArg = Path("."),
    env: EnvOpt = None,
    store: StoreOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Most recent N reviews.")] = 20,
    service: ServiceOpt = None,
    deploys: Annotated[bool, typer.Option("--deploys", help="Also list recorded deploys.")] = False,
) -> None:
    """Show readiness over time: every recorded review, with a readiness sparkline."""

    with handle_errors():
        target = _target(path, service)
        if deploys and target.service is None:
            raise UsageError("--deploys needs a service: pass a path with golive.yaml or --service NAME")
        console = _console()
        db = _open(target, store)
        if db is None:
            summaries: list[ReviewSummary] = []
            deploy_rows: list[DeployRecord] = []
        else:
            with db:
                summaries = db.reviews(target.service, env, limit=limit)
                deploy_rows = db.deploys(target.service, env) if deploys and target.service else []
        _print_history(console, summaries, target.service, env)
        if deploys:
            console.print()
            _print_deploys(console, deploy_rows)


def _print_history(
    console: Console, newest_first: Sequence[ReviewSummary], service: str | None, env: str | None
) -> None:
    if not newest_first:
        where = f" for {service}" if service else ""
        where += f" in {env}" if env else ""
        console.print(f"no reviews recorded{escape(where)}")
        return
    rows = list(reversed(newest_first))
    several_services = len({r.service for r in rows}) > 1
    table = Table(title="Review history", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("started (UTC)")
    if several_services:
        table.add_column("service")
    table.add_column("env")
    table.add_column("decision")
    table.add_column("readiness", justify="right")
    table.add_column("passed", justify="right")
    table.add_column("flags")
    for r in rows:
        # Service and environment names are the spec's text: cells of Text, never markup.
        cells: list[str | Text] = [str(r.id), _when(r.started_at)]
        if several_services:
            cells.append(Text(r.service))
        cells += [
            Text(r.environment),
            _decision(r.decision),
            _percent(r.readiness),
            f"{r.passed}/{r.total}",
            Text(_flags(r), style="yellow"),
        ]
        table.add_row(*cells)
    console.print(table)

    trends: dict[tuple[str, str], list[ReviewSummary]] = {}
    for r in rows:
        if r.complete:  # a partial review scores a subset: it would distort the trend
            trends.setdefault((r.service, r.environment), []).append(r)
    for (svc, environment), series in sorted(trends.items()):
        line = Text(f"{svc}/{environment}  ")
        line.append(sparkline([r.readiness for r in series]), style="bold")
        first, last = series[0].readiness, series[-1].readiness
        noun = "review" if len(series) == 1 else "reviews"
        line.append(
            f"  {len(series)} complete {noun}, {_percent(first)} → {_percent(last)}",
            style="dim",
        )
        console.print(line)


def _print_deploys(console: Console, newest_first: Sequence[DeployRecord]) -> None:
    if not newest_first:
        console.print("no deploys recorded")
        return
    table = Table(title="Deploys", title_justify="left")
    for name in ("#", "started (UTC)", "env", "version", "strategy", "outcome", "actor"):
        table.add_column(name, justify="right" if name == "#" else "left")
    table.add_column("duration", justify="right")
    for d in reversed(newest_first):
        duration = f"{(d.finished_at - d.started_at).total_seconds():.0f}s" if d.finished_at else "-"
        table.add_row(
            str(d.id),
            _when(d.started_at),
            *(Text(text) for text in (d.environment, d.version, d.strategy, d.outcome, d.actor)),
            duration,
        )
    console.print(table)


def sparkline(values: Sequence[float]) -> str:
    """Percentages (0-100) as a line of block characters, one per value: ▁ is 0, █ is 100."""
    top = len(SPARK_CHARS) - 1
    return "".join(SPARK_CHARS[min(top, max(0, round(v / 100 * top)))] for v in values)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _percent(value: float) -> str:
    return f"{round(value, 1):g}%"


def _decision(decision: Decision) -> Text:
    return Text(decision.value, style="bold green" if decision is Decision.GO else "bold red")


def _flags(r: ReviewSummary) -> str:
    return " ".join(f for f, on in (("partial", r.partial), ("interrupted", r.interrupted)) if on)


# -- golive diff -----------------------------------------------------------------------------

_KIND_LABEL = {
    ChangeKind.REGRESSION: ("regressed", "red"),
    ChangeKind.IMPROVEMENT: ("improved", "green"),
    ChangeKind.CHANGED: ("changed", "yellow"),
    ChangeKind.ADDED: ("added", "cyan"),
    ChangeKind.REMOVED: ("removed", "dim"),
}


def diff_cmd(
    path: PathArg = Path("."),
    env: EnvOpt = None,
    store: StoreOpt = None,
    service: ServiceOpt = None,
) -> None:
    """Show which criteria changed status since the previous complete review."""

    with handle_errors():
        target = _target(path, service)
        console = _console()
        db = _open(target, store)
        if db is None:
            console.print(_nothing_to_compare(target.service, env))
            return
        with db:
            pairs = db.targets()
            svc = target.service or _only(sorted({s for s, _ in pairs}), "service", "--service NAME")
            if svc is None:
                console.print("no reviews recorded")
                return
            environment = env or _environment(target, [e for s, e in pairs if s == svc])
            if environment is None:
                console.print(f"no reviews recorded for {escape(svc)}")
                return
            result = db.diff(svc, environment)
        _print_diff(console, result)


def _only(choices: Sequence[str], what: str, how: str) -> str | None:
    if len(choices) > 1:
        raise UsageError(f"the store has several {what}s ({', '.join(choices)}); choose with {how}")
    return choices[0] if choices else None


def _environment(target: _Target, recorded: Sequence[str]) -> str | None:
    if target.default_environment:
        return target.default_environment
    if target.environments:
        return target.environments[0]
    return _only(sorted(recorded), "environment", "--env NAME")


def _nothing_to_compare(service: str | None, env: str | None) -> str:
    where = f" for {service}" if service else ""
    where += f" in {env}" if env else ""
    return f"no reviews recorded{escape(where)}"


def _print_diff(console: Console, diff: ReviewDiff) -> None:
    where = f"{diff.service}/{diff.environment}"
    if diff.previous is None or diff.current is None:
        found = 0 if diff.current is None else 1
        console.print(
            f"{escape(where)}: nothing to compare yet: {found} complete review(s) recorded, "
            "2 needed (partial and interrupted reviews are not compared)",
            soft_wrap=True,
        )
        return
    old, new = diff.previous, diff.current
    console.print(
        f"[bold]{escape(where)}[/]: review #{old.id} ({_when(old.started_at)}) → "
        f"#{new.id} ({_when(new.started_at)})",
        soft_wrap=True,
    )
    decision = Text("decision   ")
    decision.append_text(_decision(old.decision))
    decision.append(" → ")
    decision.append_text(_decision(new.decision))
    console.print(decision)
    delta = diff.readiness_delta or 0.0
    style = "red" if delta < 0 else "green" if delta > 0 else "dim"
    readiness = Text(f"readiness  {_percent(old.readiness)} → {_percent(new.readiness)} ")
    readiness.append(f"({delta:+.1f} points)", style=style)
    console.print(readiness)
    if not diff.changes:
        console.print("no criterion changed status")
        return
    counts = ", ".join(
        f"{len(diff.of_kind(kind))} {_KIND_LABEL[kind][0]}" for kind in ChangeKind if diff.of_kind(kind)
    )
    table = Table(title=f"Changes: {counts}", title_justify="left")
    for name in ("change", "criterion", "tier", "before", "now", "title"):
        table.add_column(name)
    for change in diff.changes:
        label, style = _KIND_LABEL[change.kind]
        table.add_row(
            label,
            change.criterion_id,
            change.tier.value,
            _status(change.old_status, change.old_waived),
            _status(change.new_status, change.new_waived),
            Text(change.title),
            style=style,
        )
    console.print(table)


def _status(status: Status | None, waived: bool) -> str:
    if status is None:
        return "-"
    return f"{status.value} (waived)" if waived else status.value
