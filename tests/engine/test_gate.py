"""The gate: exclusive checks alone; golive's CPU-heavy work never overlaps a performance measurement."""

from __future__ import annotations

import asyncio
import random

from golive.engine._gate import Gate, Lane


def _run(lanes: list[Lane]) -> list[tuple[Lane, float, float]]:
    """Run one task per lane through a gate; return (lane, start, end) of each."""

    async def go() -> list[tuple[Lane, float, float]]:
        gate = Gate()
        loop = asyncio.get_running_loop()
        spans: list[tuple[Lane, float, float]] = []

        async def one(lane: Lane) -> None:
            async with gate.enter(lane):
                start = loop.time()
                await asyncio.sleep(random.uniform(0.005, 0.02))
                spans.append((lane, start, loop.time()))

        await asyncio.gather(*(one(lane) for lane in lanes))
        return spans

    return asyncio.run(go())


def _overlap(a: tuple[Lane, float, float], b: tuple[Lane, float, float]) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def test_lanes_that_must_not_overlap_never_do() -> None:
    random.seed(7)
    lanes = [random.choice(list(Lane)) for _ in range(120)]
    spans = _run(lanes)
    assert len(spans) == len(lanes)
    for i, a in enumerate(spans):
        for b in spans[i + 1 :]:
            if not _overlap(a, b):
                continue
            pair = {a[0], b[0]}
            assert Lane.EXCLUSIVE not in pair, (a, b)
            assert pair != {Lane.HEAVY, Lane.PERFORMANCE}, (a, b)


def test_shared_and_heavy_checks_still_run_together() -> None:
    spans = _run([Lane.HEAVY, Lane.HEAVY, Lane.SHARED, Lane.SHARED])
    assert any(_overlap(a, b) for i, a in enumerate(spans) for b in spans[i + 1 :])
