"""Fixtures of the reporter tests: the fixed reviews of ``tests/fixtures/reporters/reviews.py``."""

from __future__ import annotations

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from golive.results import Review
from tests.fixtures.reporters.reviews import KINDS, make_review

__all__ = ["make_review"]


@pytest.fixture
def review_factory():
    """The :func:`make_review` factory."""
    return make_review


@pytest.fixture(params=KINDS)
def any_review(request) -> Review:
    """Each fixed review kind in turn."""
    return make_review(request.param)


@pytest.fixture
def nogo_review() -> Review:
    return make_review("nogo")


@pytest.fixture
def go_review() -> Review:
    return make_review("go")


class TextSnapshot(SingleFileSnapshotExtension):
    """One text file per snapshot, so a report snapshot can be read (and diffed) as is."""

    _write_mode = WriteMode.TEXT


def _text_snapshot(ext: str) -> type[TextSnapshot]:
    return type(f"TextSnapshot_{ext.replace('.', '_')}", (TextSnapshot,), {"file_extension": ext})


MarkdownSnapshot = _text_snapshot("md")
JsonSnapshot = _text_snapshot("json")
XmlSnapshot = _text_snapshot("xml")
TextFileSnapshot = _text_snapshot("txt")


@pytest.fixture
def md_snapshot(snapshot):
    return snapshot.use_extension(MarkdownSnapshot)


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.use_extension(JsonSnapshot)


@pytest.fixture
def xml_snapshot(snapshot):
    return snapshot.use_extension(XmlSnapshot)


@pytest.fixture
def txt_snapshot(snapshot):
    return snapshot.use_extension(TextFileSnapshot)
