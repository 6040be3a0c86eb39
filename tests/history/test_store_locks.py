"""Tests for the named locks of golive.history.store, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from golive.history import HistoryError, SqlStore, open_store


def test_second_holder_is_refused_until_release(store: SqlStore) -> None:
    assert store.acquire_lock("deploy:checkout", "alice", ttl_s=60)
    assert not store.acquire_lock("deploy:checkout", "bob", ttl_s=60)
    # Other lock names are independent.
    assert store.acquire_lock("deploy:billing", "bob", ttl_s=60)
    assert store.release_lock("deploy:checkout", "alice")
    assert store.acquire_lock("deploy:checkout", "bob", ttl_s=60)
    assert not store.acquire_lock("deploy:checkout", "alice", ttl_s=60)


def test_release_by_non_holder_does_nothing(store: SqlStore) -> None:
    assert store.acquire_lock("l", "alice", ttl_s=60)
    assert not store.release_lock("l", "mallory")
    assert not store.acquire_lock("l", "mallory", ttl_s=60)
    assert not store.release_lock("never-taken", "alice")
    assert store.release_lock("l", "alice")
    assert not store.release_lock("l", "alice")


def test_expired_lock_is_taken_over(store: SqlStore) -> None:
    assert store.acquire_lock("l", "alice", ttl_s=0.01)
    time.sleep(0.05)
    assert store.acquire_lock("l", "bob", ttl_s=60)
    assert not store.acquire_lock("l", "alice", ttl_s=60)
    # The former holder's release must not free the lock the new holder took over.
    assert not store.release_lock("l", "alice")
    assert not store.acquire_lock("l", "carol", ttl_s=60)


def test_holder_reacquiring_extends_the_lock(store: SqlStore) -> None:
    assert store.acquire_lock("l", "alice", ttl_s=0.05)
    assert store.acquire_lock("l", "alice", ttl_s=60)
    time.sleep(0.1)
    assert not store.acquire_lock("l", "bob", ttl_s=60)


def test_ttl_must_be_positive(store: SqlStore) -> None:
    with pytest.raises(HistoryError, match="ttl"):
        store.acquire_lock("l", "alice", ttl_s=0)


def test_concurrent_holders_exactly_one_wins(store_url: str, tmp_path: Path) -> None:
    # Separate stores (engines, connections) as separate processes would have.
    stores = [open_store(store_url, root=tmp_path) for _ in range(4)]
    start = threading.Barrier(len(stores))
    wins: list[str] = []
    errors: list[BaseException] = []

    def contend(i: int) -> None:
        try:
            start.wait()
            if stores[i].acquire_lock("race", f"holder-{i}", ttl_s=60):
                wins.append(f"holder-{i}")
        except BaseException as e:  # reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(stores))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    finally:
        for s in stores:
            s.close()
    assert errors == []
    assert len(wins) == 1
