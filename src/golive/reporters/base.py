"""The reporter protocol, the reporter lookup and the one place reports are written to disk.

Reporters turn a finished :class:`~golive.results.Review` into text; they know nothing
about the spec. :func:`write_reports` is the only function here that touches the file
system, and it writes every report atomically so that a crash never leaves a truncated
report where a good one used to be.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from golive.errors import GoliveError
from golive.kit.files import FileWriteError, atomic_write
from golive.results import Review

REPORT_BASENAME = "readiness-report"
"""Every report file is called ``readiness-report.<extension>``."""


class ReporterError(GoliveError):
    """A report could not be produced: unknown format, unreadable JSON, or a write failure."""


@runtime_checkable
class Reporter(Protocol):
    """Turns a review into the text of one report format."""

    name: ClassVar[str]
    """The format name used on the command line: ``terminal``, ``markdown``, ..."""

    extension: ClassVar[str]
    """The file extension of the report, without the leading dot (``md``, ``junit.xml``)."""

    def render(self, review: Review) -> str:
        """The whole report as text."""
        ...


def formats() -> tuple[str, ...]:
    """Every installed report format name (the core's and every family's), in declaration order."""
    return tuple(reporter_targets())


def reporter_targets() -> dict[str, str]:
    """Format name → ``"module:Class"``, from the families' declarations (imported when used)."""
    from golive.kit.family import Families

    return Families.installed().reporters()


def reporter_class(name: str) -> type[Reporter]:
    """The reporter class for a format name (any case); ReporterError with a suggestion."""
    from golive.kit.family import load_target

    targets = reporter_targets()
    target = targets.get(name.strip().lower())
    if target is None:
        hint = ""
        close = difflib.get_close_matches(name.strip().lower(), list(targets), n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        raise ReporterError(f"unknown report format {name!r}{hint} (known: {', '.join(targets)})")
    cls = load_target(target)
    if not isinstance(cls, type) or not hasattr(cls, "render"):
        raise ReporterError(f"report format {name!r} ({target}) is not a reporter class")
    return cls


def get_reporter(name: str) -> Reporter:
    """A reporter instance for a format name; ReporterError with a suggestion when unknown."""
    return reporter_class(name)()


def report_filename(reporter: Reporter | type[Reporter]) -> str:
    """The file name a reporter's output is written to, e.g. ``readiness-report.md``."""
    return f"{REPORT_BASENAME}.{reporter.extension}"


def write_reports(review: Review, formats: Iterable[str], output_dir: Path) -> list[Path]:
    """Render the review in every format and write each report atomically into output_dir.

    Every format is looked up and rendered before anything is written, so an unknown
    format or a rendering bug leaves the directory untouched. Each file is written to a
    temporary file in the same directory, fsynced and renamed over the old report: an
    existing report is replaced only when the new one is complete. Returns the paths
    written, in the order of ``formats`` (duplicates are written once).
    """
    names = list(dict.fromkeys(formats))
    reporters = [get_reporter(n) for n in names]
    rendered = [(report_filename(r), r.render(review)) for r in reporters]
    output_dir = Path(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReporterError(f"cannot create report directory {output_dir}: {exc}") from exc
    written = []
    for filename, text in rendered:
        target = output_dir / filename
        try:
            atomic_write(target, text)
        except FileWriteError as exc:
            raise ReporterError(f"cannot write report {exc}") from None
        written.append(target)
    _fsync_dir(output_dir)
    return written


def _fsync_dir(directory: Path) -> None:
    """Persist the renames in a directory (best effort: not every platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
