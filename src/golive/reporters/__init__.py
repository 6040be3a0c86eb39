"""Reporters: turn a finished review into a terminal scorecard, markdown, JSON, JUnit or HTML.

``get_reporter(name).render(review)`` returns the text of one format;
``write_reports(review, formats, output_dir)`` writes report files atomically.
"""

from golive.reporters.base import (
    Reporter,
    ReporterError,
    formats,
    get_reporter,
    report_filename,
    write_reports,
)

__all__ = [
    "Reporter",
    "ReporterError",
    "formats",
    "get_reporter",
    "report_filename",
    "write_reports",
]
