"""The final scorecard and decision, for the terminal (rich).

Every cell and line that holds text from the spec or the checked service is a
:class:`rich.text.Text` (never a markup string), so ``[/]`` or ``[bold]`` in a title,
area or summary is shown as written instead of breaking or restyling the scorecard.
"""

from __future__ import annotations

import io
from typing import ClassVar

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from golive.reporters._critical import CAUSE_LABEL, critical_path
from golive.reporters._view import (
    ResultView,
    ReviewView,
    build_view,
    clean_text,
    fmt_duration,
    fmt_percent,
    fmt_threshold,
)
from golive.results import Review

STATUS_STYLE: dict[str, str] = {
    "pass": "green",
    "fail": "bold red",
    "error": "bold magenta",
    "no-data": "yellow",
    "blocked": "dark_orange",
    "skipped": "dim",
    "waived": "cyan",
}
STATUS_MARK: dict[str, str] = {
    "pass": "✔",
    "fail": "✘",
    "error": "!",
    "no-data": "?",
    "blocked": "⊘",
    "skipped": "–",
    "waived": "~",
}


def _status_text(v: ResultView) -> Text:
    state = v.state
    return Text(f"{STATUS_MARK[state]} {state}", style=STATUS_STYLE[state])


def _tier_table(view: ReviewView) -> Table:
    table = Table(title="Score by tier", title_justify="left", expand=False)
    table.add_column("Tier")
    table.add_column("Passed", justify="right")
    table.add_column("Score", justify="right")
    table.add_column("Threshold", justify="right")
    table.add_column("Met", justify="center")
    for t in view.review.scorecard.tiers:
        met = Text("✔ yes", style="green") if t.met else Text("✘ no", style="bold red")
        table.add_row(
            t.tier.value,
            f"{t.passed}/{t.total}",
            fmt_percent(t.percent),
            fmt_threshold(t.threshold),
            met,
        )
    return table


def _goal_table(view: ReviewView) -> Table:
    table = Table(title="Goals (tiers are scored over goals)", title_justify="left", expand=False)
    table.add_column("")
    table.add_column("Goal")
    table.add_column("Tier")
    table.add_column("Criteria", justify="right")
    table.add_column("Not passed")
    for g in view.goals:
        mark = Text("✔", style="green") if g.goal.passed else Text("✘", style="bold red")
        table.add_row(
            mark,
            Text(clean_text(g.goal.title)),
            g.goal.tier.value,
            f"{g.passed_count}/{len(g.goal.criteria)}",
            Text(", ".join(g.goal.failing) or "—"),
        )
    return table


def _area_table(view: ReviewView) -> Table:
    table = Table(title="Score by area", title_justify="left", expand=False)
    table.add_column("Area")
    table.add_column("Passed", justify="right")
    table.add_column("Score", justify="right")
    table.add_column("", min_width=10)
    for a in view.review.scorecard.areas:
        filled = round(a.percent / 10)
        style = "green" if a.passed == a.total else "yellow" if a.passed else "red"
        bar = Text("█" * filled, style=style) + Text("░" * (10 - filled), style="dim")
        table.add_row(Text(clean_text(a.area)), f"{a.passed}/{a.total}", fmt_percent(a.percent), bar)
    return table


def _summary_text(v: ResultView) -> Text:
    """Title and summary, then the spec's fix (what to run to close the gap) when it names one."""
    text = Text(clean_text(f"{v.result.title}: {v.result.summary}"))
    if v.result.fix:
        text.append("\nfix: ", style="bold cyan")
        text.append(clean_text(v.result.fix))
    return text


def _failing_table(title: str, items: tuple[ResultView, ...]) -> Table:
    table = Table(title=title, title_justify="left", expand=False, show_lines=False)
    table.add_column("Criterion", no_wrap=True)
    table.add_column("Tier")
    table.add_column("Status", no_wrap=True)
    table.add_column("Summary", ratio=1)
    for v in items:
        table.add_row(
            Text(v.id, style="bold"),
            Text(clean_text(v.tier_label)),
            _status_text(v),
            _summary_text(v),
        )
    return table


def _decision(view: ReviewView) -> Panel:
    r = view.review
    sc = r.scorecard
    if view.go:
        headline = Text(" ✔ GO ", style="bold white on green")
        style = "green"
    else:
        headline = Text(" ✘ NO-GO ", style="bold white on red")
        style = "red"
    detail = (
        f"  {clean_text(r.service)} ({clean_text(r.environment)}): readiness {fmt_percent(sc.readiness)}, "
        f"{view.passed}/{view.total} criteria passed"
    )
    if view.goals:
        detail += f", {sum(g.goal.passed for g in view.goals)}/{len(view.goals)} goals"
    if view.blocking:
        detail += f", {len(view.blocking)} blocking"
    if r.interrupted:
        detail += " (INTERRUPTED)"
    elif r.partial:
        detail += " (PARTIAL review)"
    line = Text.assemble(headline, (detail, f"bold {style}"))
    return Panel(line, border_style=style, expand=True)


def _critical_table(review: Review) -> Table | None:
    """The chain of checks that set the wall time (None when no check recorded its timing)."""
    path = critical_path(review)
    if not path.steps:
        return None
    table = Table(
        title=(
            f"Critical path: {fmt_duration(path.path_s)} of {fmt_duration(path.wall_s)} wall time; "
            f"checks ran {fmt_duration(path.busy_s)} in all ({path.overlap:.1f}x overlap)"
        ),
        title_justify="left",
        expand=False,
    )
    table.add_column("Criterion")
    table.add_column("Start", justify="right")
    table.add_column("Ran", justify="right")
    table.add_column("Waited", justify="right")
    table.add_column("Started")
    for s in path.steps:
        table.add_row(
            Text(clean_text(s.criterion_id)),
            f"{s.started_s:.1f}s",
            fmt_duration(s.duration_s),
            fmt_duration(s.waited_s) if s.waited_s > 0.05 else "",
            CAUSE_LABEL[s.cause],
        )
    return table


def scorecard_renderables(review: Review) -> list[RenderableType]:
    """Everything the final scorecard shows, in order, as rich renderables."""
    view = build_view(review)
    r = view.review
    parts: list[RenderableType] = [
        Text(
            f"{clean_text(view.title)} — {len(r.results)} criteria in {fmt_duration(r.duration_s)}",
            style="bold",
        )
    ]
    if view.partial_label:
        parts.append(
            Text(f"⚠ {clean_text(view.partial_label)}: not a full readiness decision", "bold yellow")
        )
    if r.interrupted:
        parts.append(Text("⚠ INTERRUPTED: the review stopped before every check ran", "bold yellow"))
    if view.goals:
        parts.append(_goal_table(view))
    parts += [_tier_table(view)]
    if r.scorecard.areas:
        parts.append(_area_table(view))
    critical = _critical_table(r)
    if critical is not None:
        parts.append(critical)
    if view.blocking:
        parts.append(_failing_table("Blocking criteria", view.blocking))
    others = tuple(v for v in view.failing if not v.blocking)
    if others:
        parts.append(_failing_table("Other criteria not passed", others))
    waived = tuple(v for v in view.results if v.state == "waived")
    if waived:
        parts.append(
            Text.assemble(
                ("Waived: ", "cyan bold"),
                ", ".join(f"{v.id} ({clean_text(v.result.waiver_reason)})" for v in waived),
            )
        )
    reused = [x for x in r.results if x.reused is not None]
    if reused:
        # Reused evidence is not this review's own: say so even for passing criteria.
        parts.append(
            Text.assemble(
                ("Reused evidence: ", "cyan bold"),
                ", ".join(f"{x.criterion_id} ({x.reused.label})" for x in reused if x.reused),
            )
        )
    expired = [w for w in r.waivers if w.expired]
    if expired:
        parts.append(
            Text(
                "Expired waivers (not applied): "
                + ", ".join(f"{w.criterion_id} (expired {w.expires})" for w in expired),
                style="yellow",
            )
        )
    for w in r.warnings:
        parts.append(Text(f"warning: {clean_text(w)}", style="yellow"))
    parts.append(_decision(view))
    return parts


def print_scorecard(review: Review, console: Console) -> None:
    """Print the final scorecard and the decision to a console (what the CLI shows)."""
    console.print(Group(*scorecard_renderables(review)))


class TerminalReporter:
    """Renders the final scorecard as plain text, the way the terminal shows it."""

    name: ClassVar[str] = "terminal"
    extension: ClassVar[str] = "txt"

    def __init__(self, *, width: int = 100) -> None:
        self.width = width

    def render(self, review: Review) -> str:
        """The scorecard as plain text (no colour codes), laid out for ``width`` columns."""
        console = Console(
            file=io.StringIO(),
            record=True,
            width=self.width,
            color_system=None,
            force_terminal=False,
            legacy_windows=False,
            emoji=False,
            highlight=False,
        )
        print_scorecard(review, console)
        return console.export_text()


def render_terminal(review: Review, *, width: int = 100) -> str:
    """The terminal scorecard of a review as plain text."""
    return TerminalReporter(width=width).render(review)


__all__ = ["TerminalReporter", "print_scorecard", "render_terminal", "scorecard_renderables"]
