"""The reporter protocol, the reporter lookup and the one place reports are written to disk.

Reporters turn a finished :class:`~golive.results.Review` into text; they know nothing
about the spec. :func:`write_reports` is the only function here that touches the file
system, and it writes every report atomically so that a crash never leaves a truncated
report where a good one used to be.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from golive.errors import GoliveError
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


# Imported lazily so that asking for the JSON report does not import rich or jinja2.
_REPORTER_PATHS: Mapping[str, str] = {
    "terminal": "golive.reporters.terminal:TerminalReporter",
    "markdown": "golive.reporters.markdown:MarkdownReporter",
    "json": "golive.reporters.json:JsonReporter",
    "junit": "golive.reporters.junit:JunitReporter",
    "html": "golive.reporters.html:HtmlReporter",
    # Readiness score per tier/area/criterion in Prometheus text format (monitoring family).
    "prometheus": "golive.monitoring.readiness:PrometheusReporter",
}

FORMATS: tuple[str, ...] = tuple(_REPORTER_PATHS)
"""Every report format name, in the order reports are written."""


def reporter_class(name: str) -> type[Reporter]:
    """The reporter class for a format name (any case); ReporterError with a suggestion."""
    path = _REPORTER_PATHS.get(name.strip().lower())
    if path is None:
        hint = ""
        close = difflib.get_close_matches(name.strip().lower(), FORMATS, n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        raise ReporterError(f"unknown report format {name!r}{hint} (known: {', '.join(FORMATS)})")
    module_name, _, attr = path.partition(":")
    cls: type[Reporter] = getattr(importlib.import_module(module_name), attr)
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
        _atomic_write_text(target, text)
        written.append(target)
    _fsync_dir(output_dir)
    return written


def _atomic_write_text(target: Path, text: str) -> None:
    """Write text to target via a fsynced temporary file in the same directory."""
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise ReporterError(f"cannot write report {target}: {exc}") from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


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
