"""Live progress for a running review: a rich progress bar on a terminal, lines otherwise."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from golive.engine.events import (
    CheckFinished,
    CheckStarted,
    Event,
    ReviewFinished,
    ReviewStarted,
    StackEvent,
)
from golive.results import Status

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
            TextColumn("{task.fields[current]}"),
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
            self.console.print(f"[dim]stack {event.phase}: {event.message}[/]")
        elif isinstance(event, ReviewStarted):
            self.console.print(
                f"Reviewing [bold]{event.service}[/] ({event.environment}): "
                f"{len(event.planned)} criteria, {event.jobs} jobs"
            )
            self.task = self.progress.add_task("review", total=len(event.planned), current="")
        elif isinstance(event, CheckStarted):
            self.running.append(event.criterion_id)
            self._update()
        elif isinstance(event, CheckFinished):
            r = event.result
            if r.criterion_id in self.running:
                self.running.remove(r.criterion_id)
            style = STATUS_STYLE[r.status]
            waived = " [cyan](waived)[/]" if r.waived else ""
            self.console.print(
                f"  [{style}]{r.status.value:>7}[/] {r.criterion_id}{waived} "
                f"[dim]{r.duration_s:.2f}s[/]  {r.summary}",
                highlight=False,
                markup=True,
            )
            if self.task is not None:
                self.progress.advance(self.task)
            self._update()
        elif isinstance(event, ReviewFinished):
            self.running.clear()

    def _update(self) -> None:
        if self.task is not None:
            shown = ", ".join(self.running[:3]) + (" ..." if len(self.running) > 3 else "")
            self.progress.update(self.task, current=shown)
