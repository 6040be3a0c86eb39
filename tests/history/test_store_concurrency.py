"""Concurrent first use and kill -9 mid-write of the history store, with real processes.

Ten golive processes that open a fresh store at the same moment all create the schema and
save their review (issue #15, item 9: two in four rounds lost one); a writer killed with
SIGKILL mid-transaction leaves a store whose every review is whole and which takes new ones.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.synchronize import Event
from pathlib import Path

import psycopg
import pytest

from golive.history import HistoryError, _txn, open_store
from tests.history.conftest import result, review, scratch_pg_database

WRITERS = 10
ROUNDS = 3
JOIN_TIMEOUT_S = 60.0
"""Per round: each writer needs well under a second; sized for a slow, busy machine."""

# fork: the children inherit the imported modules, so ten of them start in milliseconds.
_FORK = multiprocessing.get_context("fork")


def _save_one(url: str, root: str, index: int, go: Event) -> None:
    """Child: wait for the start signal, then open the store and save one review."""
    try:
        go.wait(JOIN_TIMEOUT_S)
        with open_store(url, root=Path(root)) as store:
            store.save_review(review([result(f"c.{index}")], day=index, service=f"svc-{index}"))
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _run_children(target: Callable[..., None], args: list[tuple[object, ...]]) -> list[int | None]:
    """Start one process per args tuple, release them together, return their exit codes."""
    go = _FORK.Event()
    procs = [_FORK.Process(target=target, args=(*a, go)) for a in args]
    try:
        for p in procs:
            p.start()
        go.set()
        for p in procs:
            p.join(JOIN_TIMEOUT_S)
        return [p.exitcode for p in procs]
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(5)


def _assert_all_saved(url: str, root: Path) -> None:
    with open_store(url, root=root) as store:
        saved = store.reviews(limit=100)
        assert sorted(r.service for r in saved) == sorted(f"svc-{i}" for i in range(WRITERS))
        for summary in saved:
            assert [r.criterion_id for r in store.load_review(summary.id).results] == [
                "c." + summary.service.removeprefix("svc-")
            ]


@pytest.mark.postgres
def test_concurrent_first_use_loses_no_review_on_postgres(tmp_path: Path) -> None:
    for _ in range(ROUNDS):
        with scratch_pg_database("golive_hist_race") as url:
            codes = _run_children(_save_one, [(url, str(tmp_path), i) for i in range(WRITERS)])
            assert codes == [0] * WRITERS
            _assert_all_saved(url, tmp_path)


def test_concurrent_first_use_loses_no_review_on_sqlite(tmp_path: Path) -> None:
    for n in range(ROUNDS):
        url = f"sqlite:///{tmp_path / f'race-{n}.db'}"
        codes = _run_children(_save_one, [(url, str(tmp_path), i) for i in range(WRITERS)])
        assert codes == [0] * WRITERS
        _assert_all_saved(url, tmp_path)


def test_sqlite_writer_waits_for_a_lock_held_by_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    open_store(url, root=tmp_path).close()
    holder = sqlite3.connect(tmp_path / "h.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    releaser = threading.Timer(0.3, holder.commit)
    releaser.start()
    try:
        with open_store(url, root=tmp_path) as store:
            store.save_review(review([result("c.1")]))
            assert len(store.reviews()) == 1
    finally:
        releaser.join()
        holder.close()


def test_a_lock_that_never_clears_is_a_clear_history_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short waits so the give-up path is reached in a fraction of a second.
    monkeypatch.setattr(_txn, "SQLITE_BUSY_TIMEOUT_MS", 20)
    monkeypatch.setattr(_txn, "ATTEMPTS", 3)
    url = f"sqlite:///{tmp_path / 'h.db'}"
    open_store(url, root=tmp_path).close()
    holder = sqlite3.connect(tmp_path / "h.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with open_store(url, root=tmp_path) as store:
            with pytest.raises(HistoryError) as caught:
                store.save_review(review([result("c.1")]))
    finally:
        holder.close()
    message = str(caught.value)
    assert "cannot save the review: database is locked" in message
    assert "after 3 attempts" in message
    with open_store(url, root=tmp_path) as store:
        assert store.reviews() == []  # nothing half-written either


@pytest.mark.postgres
def test_schema_creation_waits_for_the_advisory_lock(tmp_path: Path) -> None:
    with scratch_pg_database("golive_hist_race") as url, psycopg.connect(url) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (_txn.SCHEMA_LOCK_KEY,))
        # Tables created by the lock holder become visible to the waiter only on commit.
        holder.execute("CREATE TABLE reviews_probe (id int)")
        released = threading.Timer(0.3, holder.commit)
        released.start()
        try:
            started = time.monotonic()
            with open_store(url, root=tmp_path) as store:
                waited = time.monotonic() - started
                store.save_review(review([result("c.1")]))
                assert len(store.reviews()) == 1
        finally:
            released.join()
        assert waited >= 0.25


KILL_ROUNDS = 3


def _save_forever(url: str, root: str, go: Event) -> None:
    """Child: save big reviews until killed; set ``go`` after the first is stored."""
    criteria = [result(f"c.{i}") for i in range(300)]
    with open_store(url, root=Path(root)) as store:
        for day in range(10_000):
            store.save_review(review(criteria, day=day))
            go.set()
    os._exit(0)


def _kill_mid_write(url: str, root: Path) -> None:
    for n in range(KILL_ROUNDS):
        saved = _FORK.Event()
        proc = _FORK.Process(target=_save_forever, args=(url, str(root), saved))
        proc.start()
        try:
            assert saved.wait(JOIN_TIMEOUT_S), "the writer never saved a review"
            time.sleep(0.01 * n)  # land the kill at different points of the next write
        finally:
            if proc.pid is not None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.join(JOIN_TIMEOUT_S)
        assert proc.exitcode == -signal.SIGKILL


def _assert_whole(url: str, root: Path) -> None:
    with open_store(url, root=root) as store:
        summaries = store.reviews(limit=10_000)
        assert len(summaries) >= KILL_ROUNDS
        for summary in summaries:
            assert len(store.load_review(summary.id).results) == summary.total == 300
        store.save_review(review([result("after")], day=-1))


def test_sqlite_survives_kill_9_mid_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    _kill_mid_write(url, tmp_path)
    with sqlite3.connect(tmp_path / "h.db") as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    _assert_whole(url, tmp_path)


@pytest.mark.postgres
def test_postgres_survives_kill_9_mid_write(tmp_path: Path) -> None:
    with scratch_pg_database("golive_hist_race") as url:
        _kill_mid_write(url, tmp_path)
        _assert_whole(url, tmp_path)
