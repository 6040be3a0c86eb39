"""Live progress for a running review: a rich progress bar on a terminal, lines otherwise.

Service names, stack messages and check summaries come from the spec and the checked
service, so every line is built as :class:`rich.text.Text`: a ``[/]`` or ``[bold]`` in them
is shown as written, never read as markup.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from golive.engine.events import (
    CheckFinished,
    CheckStarted,
    Event,
    ReviewFinished,
    ReviewStarted,
    StackEvent,
)
from golive.reporters._view import clean_text
from golive.results import CheckResult, Status

STATUS_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "red",
    Status.ERROR: "magenta",
    Status.NO_DATA: "yellow",
    Status.BLOCKED: "yellow",
    Status.SKIPPED: "dim",
}


class LiveProgress:
    """An event listener that shows progress; use as a context manager around the run."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[current]}", markup=False),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task: TaskID | None = None
        self.running: list[str] = []

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def __call__(self, event: Event) -> None:
        """Receive one event from the runner."""
        if isinstance(event, StackEvent):
            self.console.print(Text(f"stack {event.phase}: {clean_text(event.message)}", style="dim"))
        elif isinstance(event, ReviewStarted):
            self.console.print(
                Text.assemble(
                    "Reviewing ",
                    (clean_text(event.service), "bold"),
                    f" ({clean_text(event.environment)}): {len(event.planned)} criteria, {event.jobs} jobs",
                )
            )
            self.task = self.progress.add_task("review", total=len(event.planned), current="")
        elif isinstance(event, CheckStarted):
            self.running.append(event.criterion_id)
            self._update()
        elif isinstance(event, CheckFinished):
            r = event.result
            if r.criterion_id in self.running:
                self.running.remove(r.criterion_id)
            self.console.print(_finished_line(r))
            if self.task is not None:
                self.progress.advance(self.task)
            self._update()
        elif isinstance(event, ReviewFinished):
            self.running.clear()

    def _update(self) -> None:
        if self.task is not None:
            shown = ", ".join(self.running[:3]) + (" ..." if len(self.running) > 3 else "")
            self.progress.update(self.task, current=shown)


def _finished_line(r: CheckResult) -> Text:
    """``   pass a 0.01s  summary``; the summary is the checked service's text, shown as is."""
    line = Text.assemble(
        "  ",
        (f"{r.status.value:>7}", STATUS_STYLE[r.status]),
        f" {r.criterion_id}",
    )
    if r.waived:
        line.append(" (waived)", style="cyan")
    line.append(f" {r.duration_s:.2f}s", style="dim")
    line.append(f"  {clean_text(r.summary)}")
    return line
