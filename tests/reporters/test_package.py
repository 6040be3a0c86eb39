"""The readiness package: report, risks, test summary, launch plan and sign-offs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from golive.history.store import SqlStore, open_store
from golive.reporters.base import ReporterError
from golive.reporters.package import (
    build_package,
    load_package,
    normalize_decision,
    render_package,
    write_package,
)
from golive.results import Risk
from tests.fixtures.reporters.hostile import IMAGE, STRUCTURE, elements, hostile_review, render
from tests.fixtures.runbook.reviews import STARTED, make_review

NOW = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)


class MarkdownSnapshot(SingleFileSnapshotExtension):
    """One readable .md file per snapshot."""

    _write_mode = WriteMode.TEXT
    file_extension = "md"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    with open_store(f"sqlite:///{tmp_path / 'history.db'}", root=tmp_path) as db:
        yield db


def _history(store: SqlStore, *, latest_go: bool = False) -> int:
    """Three reviews (the middle one partial) and sign-offs; returns the latest review id."""
    old = store.save_review(make_review(True, started=STARTED - timedelta(days=2)))
    store.save_review(make_review(False, started=STARTED - timedelta(days=1), partial=True))
    latest = store.save_review(make_review(latest_go))
    store.add_signoff(
        service="demo",
        environment="staging",
        name="Carol",
        role="Product owner",
        decision="GO",
        review_id=old,
        created_at=STARTED - timedelta(days=2),
    )
    store.add_signoff(
        service="demo",
        environment="staging",
        name="Alice",
        role="Engineering lead",
        decision="GO",
        review_id=latest,
        override_reason="Load fix ships behind a feature flag; DR drill on Monday",
        comment="accepting the risk for the launch date",
        created_at=STARTED + timedelta(minutes=10),
    )
    store.add_signoff(
        service="demo",
        environment="staging",
        name="Bob",
        role="Operations",
        decision="NO-GO",
        review_id=latest,
        comment="restore <b>must</b> work",
        created_at=STARTED + timedelta(minutes=20),
    )
    return latest


def test_markdown_package_with_signoffs_and_an_override(store: SqlStore, snapshot) -> None:
    _history(store)
    pkg = load_package(store, service="demo", environment="staging", now=NOW)
    text = render_package(pkg, "markdown")
    assert text == snapshot(extension_class=MarkdownSnapshot)
    assert "| **GO (override)** |" in text
    assert "> **Override** by Alice (Engineering lead): GO signed on a NO-GO review." in text
    assert "(earlier review)" in text  # Carol signed an older review
    # a page break after the cover and after every section but the last
    assert text.count('<div style="page-break-after: always;"></div>') == 5


def test_latest_complete_review_is_used_and_trend_covers_all(store: SqlStore) -> None:
    latest = _history(store)
    pkg = load_package(store, service="demo", environment="staging")
    assert pkg.review_id == latest and not pkg.review.partial
    assert [t.complete for t in pkg.trend] == [True, False, True]
    assert pkg.delta is not None and pkg.delta < 0  # GO before, NO-GO now


def test_risks_are_grouped_with_likelihood_impact_and_owner(store: SqlStore) -> None:
    _history(store)
    pkg = load_package(store, service="demo", environment="staging")
    high = {r.criterion_id: r for r in pkg.risks_at(Risk.HIGH)}
    assert set(high) == {"performance.load", "dr.restore"}
    assert high["performance.load"].likelihood == "High" and high["performance.load"].impact == "High"
    assert high["performance.load"].owner == "perf-team"
    assert high["performance.load"].description.startswith("Checkout slows down")
    assert "golive review . --only performance.load" in high["performance.load"].mitigation
    medium = pkg.risks_at(Risk.MEDIUM)
    assert [(r.criterion_id, r.likelihood, r.impact) for r in medium] == [("testing.e2e", "Medium", "Medium")]
    assert not pkg.risks_at(Risk.LOW)  # the failing nice criterion is waived
    assert [w.criterion_id for w in pkg.waivers] == ["docs.readme"]


def test_test_execution_summary_sorts_results_by_kind() -> None:
    pkg = build_package(review=make_review(False))
    kinds = {a.name: [r.criterion_id for r in a.results] for a in pkg.tests}
    assert kinds == {
        "Unit tests": ["testing.unit"],
        "Integration tests": ["testing.integration"],
        "End-to-end tests": ["testing.e2e"],
        "Performance tests": ["performance.load"],
        "Security tests": ["security.scan"],
        "Disaster recovery": ["dr.restore"],
    }
    verdicts = {a.name: a.verdict for a in pkg.tests}
    assert verdicts["Unit tests"] == "passed" and verdicts["Disaster recovery"] == "failing"


def test_signoff_status(store: SqlStore) -> None:
    latest = _history(store, latest_go=True)
    pkg = load_package(store, service="demo", environment="staging")
    assert pkg.signoff_status == "Blocked: NO-GO from Bob (Operations)"
    store.add_signoff(
        service="demo", environment="staging", name="Bob", role="Operations", decision="GO", review_id=latest
    )
    # A person's newest sign-off counts; the earlier NO-GO stays in the record
    pkg = load_package(store, service="demo", environment="staging")
    assert pkg.signoff_status == "Waiting for sign-off from: product"
    assert [s.record.decision for s in pkg.signoffs if s.record.name == "Bob"] == ["GO", "NO-GO"]
    other = store.save_review(make_review(True, started=STARTED + timedelta(hours=1)))
    store.add_signoff(
        service="demo",
        environment="staging",
        name="Alice",
        role="Engineering lead",
        decision="GO",
        review_id=other,
    )
    pkg = load_package(store, service="demo", environment="staging")
    assert pkg.signoff_status == "Waiting for sign-off from: operations, product"
    assert pkg.missing_roles == ("operations", "product")
    for name, role in (("Bob", "Operations"), ("Carol", "Product owner")):
        store.add_signoff(
            service="demo", environment="staging", name=name, role=role, decision="GO", review_id=other
        )
    pkg = load_package(store, service="demo", environment="staging")
    assert pkg.signoff_status == "Approved: every required role signed GO"
    assert [s.done for s in pkg.launch] == [True, True, False, False]


def test_runbook_last_verified_comes_from_history(store: SqlStore) -> None:
    _history(store)
    pkg = load_package(store, service="demo", environment="staging")
    assert pkg.runbook_verified == "2024-05-01"


def test_only_a_partial_review_is_shown_as_partial(store: SqlStore) -> None:
    store.save_review(make_review(False, partial=True))
    pkg = load_package(store, service="demo", environment="staging")
    assert pkg.review.partial
    assert "**Partial review** (only: testing)" in render_package(pkg, "markdown")


def test_no_review_in_history(store: SqlStore) -> None:
    with pytest.raises(ReporterError, match="no review of demo in staging in history"):
        load_package(store, service="demo", environment="staging")


def test_html_escapes_what_people_typed(store: SqlStore) -> None:
    _history(store)
    html = render_package(load_package(store, service="demo", environment="staging"), "html")
    assert "restore &lt;b&gt;must&lt;/b&gt; work" in html
    assert "<b>must</b>" not in html
    assert "default-src 'none'" in html  # nothing is fetched
    assert 'class="signoff is-override"' in html


def test_markdown_package_shows_text_from_the_service_as_text() -> None:
    html = render(render_package(build_package(review=hostile_review(), now=NOW), "markdown"))
    assert elements(html) <= STRUCTURE  # no image, link, emphasis or raw HTML of theirs
    assert html.count(IMAGE) >= 5  # cover, risk, mitigation, test summary, launch plan
    row = next(r for r in html.split("<tr>") if "<code>Make monitoring.metrics pass" in r)
    assert row.count("<td") == 6  # the pipe in the service's text did not split the row


def test_write_package(tmp_path: Path, store: SqlStore) -> None:
    _history(store)
    pkg = load_package(store, service="demo", environment="staging")
    written = write_package(pkg, tmp_path / "out")
    assert [p.name for p in written] == ["readiness-package.md", "readiness-package.html"]
    with pytest.raises(ReporterError, match="unknown package format 'pdf'"):
        write_package(pkg, tmp_path / "out2", ["pdf"])
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("go", "GO"), ("GO", "GO"), ("no-go", "NO-GO"), ("nogo", "NO-GO"), ("No_Go", "NO-GO")],
)
def test_normalize_decision(typed: str, stored: str) -> None:
    assert normalize_decision(typed) == stored


def test_normalize_decision_rejects_other_words() -> None:
    with pytest.raises(ReporterError, match="decision must be go or no-go"):
        normalize_decision("maybe")
