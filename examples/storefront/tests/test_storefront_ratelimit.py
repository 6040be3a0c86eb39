"""The in-memory moving window counts as the ``limits`` library's moving window does."""

from __future__ import annotations

import random
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from storefront.ratelimit import MovingWindows


def test_same_decisions_as_limits_moving_window() -> None:
    """A random burst of hits on a few keys: allowed/refused exactly as ``limits`` decides."""
    item = parse("5/second")
    reference = MovingWindowRateLimiter(MemoryStorage())
    ours = MovingWindows()
    rng = random.Random(7)
    decisions = []
    for _ in range(60):
        key = rng.choice("abc")
        allowed = ours.hit(f"ip/{key}", item.amount, item.get_expiry()) is None
        assert allowed == reference.hit(item, "ip", key)
        decisions.append(allowed)
        time.sleep(rng.choice((0.0, 0.0, 0.05)))
    assert True in decisions and False in decisions


def test_refusal_says_when_a_slot_frees_and_the_window_moves() -> None:
    windows = MovingWindows()
    first = time.time()
    assert windows.hit("k", 2, 0.3) is None
    assert windows.hit("k", 2, 0.3) is None
    reset = windows.hit("k", 2, 0.3)
    assert reset is not None and first <= reset - 0.3 <= time.time()
    time.sleep(0.35)
    assert windows.hit("k", 2, 0.3) is None
    windows.reset()
    assert windows.hits == {}


def test_idle_keys_are_forgotten() -> None:
    windows = MovingWindows()
    windows.hit("gone", 1, 0.01)
    time.sleep(0.02)
    windows.next_sweep = 0.0  # the sweep is due
    windows.hit("live", 1, 60)
    assert set(windows.hits) == {"live"}
