"""Reporter lookup and the atomic writing of report files."""

from __future__ import annotations

import os

import pytest

from golive.errors import GoliveError
from golive.reporters import base
from golive.reporters.base import (
    Reporter,
    ReporterError,
    formats,
    get_reporter,
    report_filename,
    write_reports,
)
from golive.reporters.json import review_from_json
from tests.fixtures.reporters.reviews import make_review

FILES = {
    "markdown": "readiness-report.md",
    "json": "readiness-report.json",
    "junit": "readiness-report.junit.xml",
    "html": "readiness-report.html",
    "terminal": "readiness-report.txt",
    "prometheus": "readiness-report.prom",
}


@pytest.mark.parametrize("name", formats())
def test_every_format_is_a_reporter(name):
    reporter = get_reporter(name)
    assert isinstance(reporter, Reporter)
    assert reporter.name == name
    assert report_filename(reporter) == FILES[name]
    text = reporter.render(make_review("nogo"))
    assert isinstance(text, str) and text.endswith("\n")


def test_formats_are_the_documented_six():
    assert set(formats()) == {"terminal", "markdown", "json", "junit", "html", "prometheus"}


@pytest.mark.parametrize(
    ("name", "suggestion"), [("markdwn", "markdown"), ("jsno", "json"), ("JUnitXML", "junit")]
)
def test_unknown_format_suggests(name, suggestion):
    with pytest.raises(ReporterError, match=f"did you mean {suggestion!r}"):
        get_reporter(name)


def test_format_names_ignore_case():
    assert get_reporter(" HTML ").name == "html"


def test_unknown_format_without_close_match():
    with pytest.raises(ReporterError) as info:
        get_reporter("pdf")
    assert "did you mean" not in str(info.value)
    assert "known: terminal, markdown, json, junit, html, prometheus" in str(info.value)
    assert isinstance(info.value, GoliveError)


def test_write_reports_writes_each_format(tmp_path):
    review = make_review("nogo")
    out = tmp_path / "nested" / "reports"
    formats = ["markdown", "json", "junit", "html", "json"]
    paths = write_reports(review, formats, out)
    assert [p.name for p in paths] == [FILES[f] for f in ("markdown", "json", "junit", "html")]
    assert sorted(os.listdir(out)) == sorted(p.name for p in paths)  # no temp files left
    assert review_from_json((out / "readiness-report.json").read_text("utf-8")) == review
    assert (out / "readiness-report.md").read_text("utf-8") == get_reporter("markdown").render(review)


def test_existing_report_is_replaced(tmp_path):
    (tmp_path / "readiness-report.md").write_text("old", encoding="utf-8")
    write_reports(make_review("go"), ["markdown"], tmp_path)
    assert (tmp_path / "readiness-report.md").read_text("utf-8").startswith("# Production")
    assert os.listdir(tmp_path) == ["readiness-report.md"]


def test_failed_write_keeps_the_old_report(tmp_path, monkeypatch):
    target = tmp_path / "readiness-report.md"
    target.write_text("old report", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(base.os, "replace", broken_replace)
    with pytest.raises(ReporterError, match="cannot write report .*No space left"):
        write_reports(make_review("go"), ["markdown"], tmp_path)
    assert target.read_text("utf-8") == "old report"
    assert os.listdir(tmp_path) == ["readiness-report.md"]  # the temp file was removed


def test_failed_render_writes_nothing(tmp_path, monkeypatch):
    target = tmp_path / "readiness-report.md"
    target.write_text("old report", encoding="utf-8")

    def boom(self, review):
        raise RuntimeError("template bug")

    monkeypatch.setattr(get_reporter("html").__class__, "render", boom)
    with pytest.raises(RuntimeError):
        write_reports(make_review("go"), ["markdown", "html"], tmp_path)
    assert target.read_text("utf-8") == "old report"
    assert os.listdir(tmp_path) == ["readiness-report.md"]


def test_unknown_format_writes_nothing(tmp_path):
    with pytest.raises(ReporterError):
        write_reports(make_review("go"), ["markdown", "pdf"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unwritable_directory_is_a_reporter_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ReporterError, match="cannot create report directory"):
        write_reports(make_review("go"), ["json"], blocker / "reports")
