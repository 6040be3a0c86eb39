"""Tests for golive.history.store: reviews, diffs, sign-offs, deploys, errors (both backends)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from golive.errors import StoreError
from golive.history import ChangeKind, HistoryError, HistoryStore, SqlStore, open_store
from golive.results import (
    CheckResult,
    Decision,
    Evidence,
    Measurement,
    Review,
    Status,
    Tier,
    WaiverRecord,
)

MakeResult = Callable[..., CheckResult]
MakeReview = Callable[..., Review]


def test_sql_store_follows_the_protocol(store: SqlStore) -> None:
    follows: HistoryStore = store  # checked by mypy; at runtime, that it is usable
    assert follows.reviews() == []
    assert follows.targets() == []


def test_round_trip_equals_original(
    store: SqlStore, make_result: MakeResult, make_review: MakeReview
) -> None:
    rich = CheckResult(
        criterion_id="perf.p95",
        title="p95 latency under target",
        area="performance",
        tier=Tier.SHOULD,
        check_type="http",
        status=Status.FAIL,
        summary="p95 412 ms > 300 ms",
        measurements=(Measurement(name="p95", value=412.5, unit="ms", target="<= 300"),),
        evidence=Evidence(excerpt="GET / 200 …\nünïcode ✓", artifacts=("a/b.txt",)),
        reproducer="wrk -t2 http://127.0.0.1:8000/",
        duration_s=3.5,
        risk="Slow checkout",
        owner="team-a",
        waived=True,
        waiver_reason="accepted until launch",
    )
    base = make_review([make_result("mon.alerts"), rich, make_result("sec.tls", Status.ERROR)])
    # A non-UTC offset and every optional field, to prove nothing is lost or shifted.
    tz = timezone(timedelta(hours=2))
    original = replace(
        base,
        started_at=datetime(2024, 5, 1, 11, 0, 0, 123456, tzinfo=tz),
        waivers=(
            WaiverRecord(
                criterion_id="perf.p95",
                reason="accepted",
                owner="cto",
                expires="2024-06-01",
                expired=False,
            ),
        ),
        warnings=("spec warning",),
        selection=("perf.*",),
        partial=True,
    )
    review_id = store.save_review(original)
    loaded = store.load_review(review_id)
    assert loaded == original
    assert loaded.started_at.utcoffset() == timedelta(hours=2)


def test_reviews_newest_first_with_filters_and_limit(
    store: SqlStore, make_result: MakeResult, make_review: MakeReview
) -> None:
    ok = [make_result("a"), make_result("b")]
    bad = [make_result("a"), make_result("b", Status.FAIL)]
    # Saved out of chronological order: ordering must follow started_at, not insertion.
    id2 = store.save_review(make_review(ok, day=2))
    id0 = store.save_review(make_review(bad, day=0))
    id1 = store.save_review(make_review(bad, day=1, partial=True))
    store.save_review(make_review(ok, day=5, environment="prod"))
    store.save_review(make_review(ok, day=6, service="billing"))

    listed = store.reviews("checkout", "staging")
    assert [s.id for s in listed] == [id2, id1, id0]
    newest = listed[0]
    assert newest.decision is Decision.GO
    assert (newest.passed, newest.total, newest.readiness) == (2, 2, 100.0)
    assert newest.started_at == datetime(2024, 5, 3, 9, 0, tzinfo=UTC)
    assert newest.started_at.tzinfo is not None
    assert newest.finished_at - newest.started_at == timedelta(seconds=42)
    assert newest.golive_version == "0.1.0"
    assert listed[1].partial and not listed[1].complete
    assert listed[2].decision is Decision.NO_GO and listed[2].passed == 1

    assert len(store.reviews()) == 5
    assert store.targets() == [
        ("billing", "staging"),
        ("checkout", "prod"),
        ("checkout", "staging"),
    ]
    assert {s.environment for s in store.reviews("checkout")} == {"staging", "prod"}
    assert [s.service for s in store.reviews(environment="prod")] == ["checkout"]
    assert [s.id for s in store.reviews("checkout", "staging", limit=2)] == [id2, id1]
    with pytest.raises(HistoryError, match="limit"):
        store.reviews(limit=0)


def test_latest_skips_partial_and_interrupted_unless_asked(
    store: SqlStore, make_result: MakeResult, make_review: MakeReview
) -> None:
    assert store.latest("checkout", "staging") is None
    complete = make_review([make_result("a")], day=0)
    partial = make_review([make_result("a", Status.FAIL)], day=1, partial=True)
    interrupted = make_review([make_result("a", Status.FAIL)], day=2, interrupted=True)
    for r in (complete, partial, interrupted):
        store.save_review(r)
    assert store.latest("checkout", "staging") == complete
    assert store.latest("checkout", "staging", include_partial=True) == interrupted
    assert store.latest("checkout", "prod") is None


def test_load_unknown_review_is_an_error(store: SqlStore) -> None:
    with pytest.raises(StoreError, match="no review #999"):
        store.load_review(999)


def test_diff_classifies_changes_regressions_first(
    store: SqlStore, make_result: MakeResult, make_review: MakeReview
) -> None:
    old = [
        make_result("mon.alerts"),
        make_result("sec.tls", tier=Tier.SHOULD),
        make_result("dr.backup", Status.FAIL),
        make_result("docs.readme", Status.FAIL, tier=Tier.NICE),
        make_result("ci.lint", Status.FAIL),
        make_result("perf.load", Status.FAIL, tier=Tier.SHOULD),
        make_result("gone.check"),
        make_result("same.pass"),
    ]
    new = [
        make_result("mon.alerts", Status.FAIL),  # regression, must
        make_result("sec.tls", Status.ERROR, tier=Tier.SHOULD),  # regression, should
        make_result("dr.backup"),  # improvement
        make_result("docs.readme", Status.FAIL, tier=Tier.NICE, waived=True),  # improvement
        make_result("ci.lint", Status.ERROR),  # still failing: neutral change
        make_result("perf.load", Status.FAIL, tier=Tier.SHOULD),  # unchanged
        make_result("new.check", Status.NO_DATA),  # added
        make_result("same.pass"),  # unchanged
    ]
    old_id = store.save_review(make_review(old, day=0))
    new_id = store.save_review(make_review(new, day=1))
    # A newer partial review must not be compared.
    store.save_review(make_review([make_result("x")], day=2, partial=True))

    diff = store.diff("checkout", "staging")
    assert diff.comparable
    assert diff.previous is not None and diff.current is not None
    assert (diff.previous.id, diff.current.id) == (old_id, new_id)
    assert [(c.criterion_id, c.kind) for c in diff.changes] == [
        ("mon.alerts", ChangeKind.REGRESSION),
        ("sec.tls", ChangeKind.REGRESSION),
        ("dr.backup", ChangeKind.IMPROVEMENT),
        ("docs.readme", ChangeKind.IMPROVEMENT),
        ("ci.lint", ChangeKind.CHANGED),
        ("new.check", ChangeKind.ADDED),
        ("gone.check", ChangeKind.REMOVED),
    ]
    tls = diff.regressions[1]
    assert (tls.old_status, tls.new_status, tls.tier) == (Status.PASS, Status.ERROR, Tier.SHOULD)
    assert [c.criterion_id for c in diff.improvements] == ["dr.backup", "docs.readme"]
    assert diff.improvements[1].new_waived and not diff.improvements[1].old_waived
    added = diff.of_kind(ChangeKind.ADDED)[0]
    assert (added.old_status, added.new_status) == (None, Status.NO_DATA)
    removed = diff.of_kind(ChangeKind.REMOVED)[0]
    assert (removed.old_status, removed.new_status) == (Status.PASS, None)
    # 4/8 passed before (alerts, tls, gone, same); 3/8 now (backup, waived readme, same).
    assert diff.previous.readiness == pytest.approx(50.0)
    assert diff.current.readiness == pytest.approx(37.5)
    assert diff.readiness_delta == pytest.approx(-12.5)


def test_diff_with_fewer_than_two_complete_reviews(
    store: SqlStore, make_result: MakeResult, make_review: MakeReview
) -> None:
    empty = store.diff("checkout", "staging")
    assert not empty.comparable and empty.current is None and empty.readiness_delta is None
    store.save_review(make_review([make_result("a")], day=0))
    store.save_review(make_review([make_result("a", Status.FAIL)], day=1, interrupted=True))
    one = store.diff("checkout", "staging")
    assert not one.comparable
    assert one.current is not None and one.previous is None and one.changes == ()


def test_save_review_is_atomic(store: SqlStore, make_result: MakeResult, make_review: MakeReview) -> None:
    broken = replace(make_result("b"), title=None)
    with pytest.raises(HistoryError, match="cannot save the review"):
        store.save_review(make_review([make_result("a"), broken]))
    assert store.reviews() == []
    # The store is still usable afterwards.
    good_id = store.save_review(make_review([make_result("a")]))
    assert [s.id for s in store.reviews()] == [good_id]


def test_signoffs_and_deploys(store: SqlStore, make_result: MakeResult, make_review: MakeReview) -> None:
    assert store.signoffs("checkout", "prod") == []
    assert store.deploys("checkout") == []
    review_id = store.save_review(make_review([make_result("a")], environment="prod"))
    t = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    first = store.add_signoff(
        service="checkout",
        environment="prod",
        name="Ada",
        role="SRE",
        decision="GO",
        review_id=review_id,
        created_at=t,
    )
    second = store.add_signoff(
        service="checkout",
        environment="prod",
        name="Bob",
        role="PM",
        decision="GO",
        comment="ship it",
        override_reason="launch date",
        created_at=t + timedelta(hours=1),
    )
    store.add_signoff(service="checkout", environment="staging", name="X", role="r", decision="GO")
    signoffs = store.signoffs("checkout", "prod")
    assert [s.id for s in signoffs] == [second, first]
    assert signoffs[0].override_reason == "launch date" and signoffs[0].review_id is None
    assert signoffs[1].review_id == review_id and signoffs[1].created_at == t

    d1 = store.add_deploy(
        service="checkout",
        environment="prod",
        version="1.2.0",
        strategy="canary",
        started_at=t,
        finished_at=t + timedelta(minutes=5),
        outcome="succeeded",
        actor="ci",
        report_json='{"steps": 3}',
    )
    d2 = store.add_deploy(
        service="checkout",
        environment="staging",
        version="1.3.0",
        strategy="rolling",
        started_at=t + timedelta(days=1),
        outcome="running",
    )
    assert [d.id for d in store.deploys("checkout")] == [d2, d1]
    (prod,) = store.deploys("checkout", "prod")
    assert prod.finished_at == t + timedelta(minutes=5) and prod.report_json == '{"steps": 3}'
    assert store.deploys("checkout", "staging")[0].finished_at is None


def test_schema_created_on_first_use(store_url: str, tmp_path: Path) -> None:
    url = store_url.replace("postgresql://", "postgresql+psycopg://")
    engine = sa.create_engine(url)
    try:
        assert sa.inspect(engine).get_table_names() == []
        open_store(store_url, root=tmp_path).close()
        assert set(sa.inspect(engine).get_table_names()) == {
            "reviews",
            "criterion_results",
            "signoffs",
            "deploys",
            "locks",
            "result_inputs",
        }
        # Opening again leaves an existing schema (and its data) alone.
        open_store(store_url, root=tmp_path).close()
    finally:
        engine.dispose()


def test_default_store_is_sqlite_under_the_spec_directory(
    tmp_path: Path, make_result: MakeResult, make_review: MakeReview
) -> None:
    root = tmp_path / "svc"
    root.mkdir()
    with open_store(None, root=root) as s:
        s.save_review(make_review([make_result("a")]))
        assert s.url.startswith("sqlite:///") and s.url.endswith(".golive/history.db")
    assert (root / ".golive" / "history.db").is_file()
    with open_store(None, root=root) as s:
        assert len(s.reviews()) == 1


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://golive:s3cr3t-pw@127.0.0.1:1/history",
        "postgresql+psycopg://golive:s3cr3t-pw@127.0.0.1:1/history",
    ],
)
def test_unreachable_store_hides_password(url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        open_store(url, root=tmp_path)
    message = str(info.value)
    assert "s3cr3t-pw" not in message
    assert "golive:***@127.0.0.1:1/history" in message
    assert "cannot open the store" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nosuchdb://u:s3cr3t-pw@host/x", "invalid history store URL nosuchdb://u:***@host/x"),
        ("not a url", "invalid history store URL not a url"),
    ],
)
def test_invalid_store_url(url: str, expected: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        open_store(url, root=tmp_path)
    assert str(info.value).startswith(expected)
    assert "s3cr3t-pw" not in str(info.value)


def test_sqlite_in_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store(f"sqlite:///{tmp_path}/missing/dir/h.db", root=tmp_path)
