"""Scheduling: offline work runs beside disruptive checks; every result says when it ran."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from golive.checks.registry import CheckRegistry
from golive.engine._gate import Gate, Lane
from golive.kit.check import Params
from golive.reporters._critical import critical_path
from golive.results import Outcome, Review, Status
from tests.fixtures.review import crit

Run = Callable[..., Review]
Span = tuple[str, float, float]


def _overlap(a: Span, b: Span) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def test_gate_never_lets_a_disruption_meet_online_work_nor_an_exclusive_meet_anything() -> None:
    random.seed(11)
    kinds = [(random.choice(list(Lane)), random.random() < 0.5) for _ in range(150)]

    async def go() -> list[tuple[Lane, bool, float, float]]:
        gate, loop = Gate(), asyncio.get_running_loop()
        spans: list[tuple[Lane, bool, float, float]] = []

        async def one(lane: Lane, offline: bool) -> None:
            async with gate.enter(lane, offline=offline):
                start = loop.time()
                await asyncio.sleep(random.uniform(0.002, 0.01))
                spans.append((lane, offline, start, loop.time()))

        await asyncio.gather(*(one(lane, offline) for lane, offline in kinds))
        return spans

    spans = asyncio.run(go())
    assert len(spans) == len(kinds)
    for i, a in enumerate(spans):
        for b in spans[i + 1 :]:
            if not (a[2] < b[3] and b[2] < a[3]):
                continue
            lanes = {a[0], b[0]}
            assert Lane.EXCLUSIVE not in lanes, (a, b)
            assert lanes != {Lane.HEAVY, Lane.PERFORMANCE}, (a, b)
            if Lane.DISRUPTIVE in lanes:
                other = b if a[0] is Lane.DISRUPTIVE else a
                assert other[0] is not Lane.DISRUPTIVE and other[1], (a, b)


class _Params(Params):
    pass


class _Timed:
    """Sleeps a moment and records its span."""

    description: ClassVar[str] = "records its span"
    Params = _Params
    spans: ClassVar[list[Span]] = []
    seconds: ClassVar[float] = 0.1

    async def run(self, params: object, ctx: object) -> Outcome:
        start = time.monotonic()
        await asyncio.sleep(type(self).seconds)
        _Timed.spans.append((getattr(ctx, "criterion_id", ""), start, time.monotonic()))
        return Outcome(status=Status.PASS, summary="ran")


class _Probe(_Timed):
    name: ClassVar[str] = "test.probe"
    exclusive: ClassVar[bool] = True
    disruptive: ClassVar[bool] = True
    seconds: ClassVar[float] = 0.6


class _Scanner(_Timed):
    name: ClassVar[str] = "test.scanner"
    cpu_heavy: ClassVar[bool] = True
    offline: ClassVar[bool] = True


class _Online(_Timed):
    name: ClassVar[str] = "test.online"


class _Suite(_Timed):
    name: ClassVar[str] = "test.suite-long"
    cpu_heavy: ClassVar[bool] = True
    offline: ClassVar[bool] = True
    seconds: ClassVar[float] = 0.6


class _Drill(_Timed):
    name: ClassVar[str] = "test.drill"
    exclusive: ClassVar[bool] = True


def _registry() -> CheckRegistry:
    registry = CheckRegistry.default()
    for t in (_Probe, _Scanner, _Online, _Suite, _Drill):
        registry.register(t)
    _Timed.spans.clear()
    return registry


def test_offline_work_runs_beside_a_disruptive_check_and_online_work_waits(review: Run) -> None:
    r = review(
        [
            crit("probe", {"type": "test.probe"}),
            crit("scan", {"type": "test.scanner"}),
            crit("suite", {"type": "test.online"}, offline=True),  # the criterion says so itself
            crit("http", {"type": "test.online"}),
        ],
        registry=_registry(),
        jobs=8,
    )
    assert all(res.status is Status.PASS for res in r.results)
    spans = {s[0]: s for s in _Timed.spans}
    assert _overlap(spans["probe"], spans["scan"]) and _overlap(spans["probe"], spans["suite"])
    assert not _overlap(spans["probe"], spans["http"])


def test_a_strict_exclusive_criterion_admits_no_offline_work(review: Run) -> None:
    review(
        [crit("probe", {"type": "test.probe"}, exclusive=True), crit("scan", {"type": "test.scanner"})],
        registry=_registry(),
        jobs=8,
    )
    spans = {s[0]: s for s in _Timed.spans}
    assert not _overlap(spans["probe"], spans["scan"])


def test_work_beside_a_running_suite_goes_before_the_exclusive_check_waiting_for_it(
    review: Run,
) -> None:
    review(
        [
            crit("suite", {"type": "test.suite-long"}),
            crit("drill", {"type": "test.drill"}),
            crit("http", {"type": "test.online"}),
        ],
        registry=_registry(),
        jobs=8,
    )
    spans = {s[0]: s for s in _Timed.spans}
    # The drill cannot start before the suite ends: the online check runs meanwhile, not after.
    assert _overlap(spans["suite"], spans["http"])
    assert spans["http"][2] <= spans["drill"][1]
    assert not _overlap(spans["drill"], spans["suite"])


def test_results_place_each_check_on_the_timeline_and_give_a_critical_path(review: Run) -> None:
    r = review(
        [
            crit("probe", {"type": "test.probe"}),
            crit("http", {"type": "test.online"}),
            crit("after", {"type": "test.online"}, needs=["http"]),
        ],
        registry=_registry(),
        jobs=8,
    )
    res = {x.criterion_id: x for x in r.results}
    # The probe goes first; the online check waits for it at the gate, then its dependent runs.
    assert res["http"].waited_s >= 0.5
    assert res["http"].started_s >= res["probe"].started_s + res["probe"].duration_s - 0.05
    assert res["after"].started_s >= res["http"].started_s + res["http"].duration_s - 0.05
    path = critical_path(r)
    assert [(s.criterion_id, s.cause) for s in path.steps] == [
        ("probe", "start"),
        ("http", "gate"),
        ("after", "needs"),
    ]
    assert path.busy_s <= path.wall_s + 0.1


def test_a_contract_test_that_judges_response_times_runs_alone(tmp_path: Path) -> None:
    from golive.engine import ReviewOptions, Runner
    from golive.spec import SpecLoader

    def lane(extra: str) -> Lane:
        text = (
            "service: {name: s}\nenvironments: {local: {base_url: 'http://127.0.0.1:9'}}\n"
            "criteria:\n  - {id: c, title: c, area: testing, tier: must, "
            f"check: {{type: api.contract{extra}}}}}\n"
        )
        registry = CheckRegistry.default()
        spec = SpecLoader(registry).loads(text, display="golive.yaml").with_path(tmp_path / "golive.yaml")
        runner = Runner(spec, registry, ReviewOptions())
        return runner._lane(spec.criteria[0])

    # Fuzzing only disturbs the service: offline work may run beside it.
    assert lane("") is Lane.DISRUPTIVE
    # Judging response times is a latency measurement: nothing of golive's own runs beside it.
    assert lane(", max_response_time: 2s") is Lane.EXCLUSIVE
