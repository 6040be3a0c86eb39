"""The engine: needs, timeouts that kill process groups, crashes, waivers, interruption."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import ClassVar

from golive.checks.registry import CheckRegistry
from golive.engine import CheckFinished, CheckStarted, ReviewFinished, ReviewStarted
from golive.kit.check import Params
from golive.results import Decision, Outcome, Review, Status
from tests.fixtures.review import crit

Run = Callable[..., Review]


def cmd(argv: list[str] | str, **kw: object) -> dict[str, object]:
    return {"type": "command", "command": argv, **({"shell": True} if isinstance(argv, str) else {}), **kw}


def alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def by_id(review: Review) -> dict[str, Status]:
    return {r.criterion_id: r.status for r in review.results}


def test_pass_fail_and_decision(review: Run) -> None:
    r = review([crit("ok", cmd(["true"])), crit("bad", cmd(["false"]), tier="nice")])
    assert by_id(r) == {"ok": Status.PASS, "bad": Status.FAIL}
    # nice tier at 0% < 60% -> NO-GO, with the failing criterion blocking
    assert r.decision is Decision.NO_GO
    assert r.scorecard.blocking == ("bad",)
    assert "exit code 1, expected 0" in r.results[1].summary


def test_needs_blocks_dependents(review: Run) -> None:
    r = review(
        [
            crit("base", cmd(["false"])),
            crit("mid", cmd(["true"]), needs=["base"]),
            crit("top", cmd(["true"]), needs=["mid"]),
            crit("free", cmd(["true"])),
        ]
    )
    assert by_id(r) == {
        "base": Status.FAIL,
        "mid": Status.BLOCKED,
        "top": Status.BLOCKED,
        "free": Status.PASS,
    }
    assert r.results[1].summary == "blocked: needs base is fail"


def test_needs_runs_after_dependency(review: Run, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    r = review(
        [
            crit("second", cmd(["test", "-f", str(marker)]), needs=["first"]),
            crit("first", cmd(f"sleep 0.2; touch {marker}")),
        ]
    )
    assert by_id(r) == {"second": Status.PASS, "first": Status.PASS}


def test_hung_command_killed_with_children(review: Run, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = f"sleep 300 & echo $! >> {pids}; (sleep 300 & echo $! >> {pids}; wait) & echo $$ >> {pids}; wait"
    start = time.monotonic()
    r = review([crit("hang", cmd(script), timeout="1s")])
    elapsed = time.monotonic() - start
    result = r.results[0]
    assert result.status is Status.ERROR
    assert "timed out after 1s" in result.summary
    assert elapsed < 10
    recorded = [int(p) for p in pids.read_text().split()]
    assert len(recorded) == 3
    deadline = time.monotonic() + 5
    while any(alive(p) for p in recorded) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in recorded if alive(p)] == []


class Boom:
    """A plugin check type that raises, as a buggy third-party plugin would."""

    name: ClassVar[str] = "test.boom"
    description: ClassVar[str] = "raises"
    Params: ClassVar[type[BoomParams]]

    async def run(self, params: object, ctx: object) -> Outcome:
        raise ZeroDivisionError("plugin bug")


class BoomParams(Params):
    pass


Boom.Params = BoomParams


def test_crashing_check_becomes_error(review: Run) -> None:
    registry = CheckRegistry.default()
    registry.register(Boom)
    r = review([crit("crash", {"type": "test.boom"}), crit("ok", cmd(["true"]))], registry=registry)
    assert by_id(r)["crash"] is Status.ERROR
    assert r.results[0].summary == "check crashed: ZeroDivisionError: plugin bug"
    assert by_id(r)["ok"] is Status.PASS


def test_missing_variable_is_an_error_for_that_check_only(review: Run) -> None:
    r = review(
        [
            crit("needs-var", cmd(["echo", "${GOLIVE_TEST_UNSET_VAR}"])),
            crit("ok", cmd(["echo", "${GOLIVE_TEST_UNSET_VAR:-fallback}"], expect_output="fallback")),
        ],
        environ={},
    )
    assert by_id(r) == {"needs-var": Status.ERROR, "ok": Status.PASS}
    assert "GOLIVE_TEST_UNSET_VAR is not set" in r.results[0].summary


def test_waivers_count_and_expired_ones_are_ignored(review: Run) -> None:
    criteria = [crit("a", cmd(["false"])), crit("b", cmd(["false"])), crit("c", cmd(["true"]))]
    waivers = [
        {"criterion": "a", "reason": "accepted until Q1", "owner": "alice", "expires": "2026-12-31"},
        {"criterion": "b", "reason": "old", "owner": "bob", "expires": "2026-01-01"},
    ]
    r = review(criteria, waivers=waivers, today=date(2026, 11, 26))
    a, b, c = r.results
    assert a.waived and a.passed and a.status is Status.FAIL
    assert not b.waived and not b.passed
    assert c.passed and not c.waived
    assert [w.expired for w in r.waivers] == [False, True]
    assert any("waiver for b expired on 2026-01-01" in w for w in r.warnings)
    must = r.scorecard.tiers[0]
    assert (must.passed, must.total) == (2, 3)
    assert r.scorecard.blocking == ("b",)


def test_concurrency_is_bounded(review: Run, tmp_path: Path) -> None:
    log = tmp_path / "log"
    body = f"echo start >> {log}; sleep 0.3; echo end >> {log}"
    events: list = []
    review([crit(f"c{i}", cmd(body)) for i in range(6)], jobs=2, events=events)
    running = peak = 0
    for line in log.read_text().split():
        running += 1 if line == "start" else -1
        peak = max(peak, running)
    assert peak == 2


def test_events_in_order(review: Run) -> None:
    events: list = []
    review([crit("a", cmd(["true"])), crit("b", cmd(["true"]), needs=["a"])], events=events)
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "ReviewStarted" and kinds[-1] == "ReviewFinished"
    assert isinstance(events[0], ReviewStarted) and len(events[0].planned) == 2
    started = [e.criterion_id for e in events if isinstance(e, CheckStarted)]
    finished = [e.result.criterion_id for e in events if isinstance(e, CheckFinished)]
    assert started == ["a", "b"] and finished == ["a", "b"]
    assert isinstance(events[-1], ReviewFinished)


def test_interrupt_gives_partial_review(review: Run) -> None:
    r = review(
        [
            crit("quick", cmd(["true"])),
            crit("slow", cmd(["sleep", "30"])),
            crit("after", cmd(["true"]), needs=["slow"]),
        ],
        stop_after=1.0,
    )
    assert r.interrupted and r.partial
    assert by_id(r) == {"quick": Status.PASS, "slow": Status.ERROR, "after": Status.SKIPPED}
    assert r.results[1].summary == "interrupted while running"
    assert r.decision is Decision.NO_GO


def test_only_selects_and_marks_partial(review: Run) -> None:
    r = review(
        [
            crit("a", cmd(["true"]), area="docs"),
            crit("b", cmd(["true"]), area="security", needs=["a"]),
            crit("c", cmd(["false"]), area="dr"),
        ],
        only=("security",),
    )
    assert by_id(r) == {"a": Status.PASS, "b": Status.PASS}
    assert r.partial and r.decision is Decision.GO


def test_env_vars_reach_commands(review: Run) -> None:
    os.environ.setdefault("GOLIVE_TEST_PRESENT", "yes")
    r = review(
        [crit("v", cmd(["sh", "-c", "echo $X"], env={"X": "${GOLIVE_TEST_PRESENT}"}, expect_output="yes"))]
    )
    assert by_id(r) == {"v": Status.PASS}


def test_exclusive_checks_run_alone(review: Run, tmp_path: Path) -> None:
    log = tmp_path / "log"

    def body(name: str) -> str:
        return f"echo start-{name} >> {log}; sleep 0.3; echo end-{name} >> {log}"

    criteria = [crit(f"s{i}", cmd(body(f"s{i}"))) for i in range(4)]
    criteria.insert(2, crit("drill", cmd(body("drill")), exclusive=True))
    r = review(criteria, jobs=8)
    assert all(res.status is Status.PASS for res in r.results)
    lines = log.read_text().split()
    start = lines.index("start-drill")
    # nothing else starts or ends while the drill runs
    assert lines[start + 1] == "end-drill"
    running_before = sum(1 if x.startswith("start") else -1 for x in lines[:start])
    assert running_before == 0


def test_disruptive_check_types_are_exclusive_by_default() -> None:
    registry = CheckRegistry.default()
    assert getattr(registry.get("alert.drill"), "exclusive", False) is True
    assert getattr(registry.get("command"), "exclusive", False) is False


class _Timed:
    """Records when it ran; a heavy and a performance variant share this body."""

    description: ClassVar[str] = "records its span"
    Params = BoomParams
    spans: ClassVar[list[tuple[str, float, float]]] = []

    async def run(self, params: object, ctx: object) -> Outcome:
        import asyncio

        start = time.monotonic()
        if getattr(self, "cpu_heavy", False):
            # Real CPU work off the event loop, as a scanner subprocess would do.
            def burn() -> None:
                end = time.monotonic() + 0.15
                while time.monotonic() < end:
                    sum(i * i for i in range(2000))

            await asyncio.to_thread(burn)
        else:
            await asyncio.sleep(0.1)
        _Timed.spans.append((type(self).name, start, time.monotonic()))
        return Outcome(status=Status.PASS, summary="ran")


class _Heavy(_Timed):
    name: ClassVar[str] = "test.heavy"
    cpu_heavy: ClassVar[bool] = True


class _Perf(_Timed):
    name: ClassVar[str] = "test.perf"
    measures_performance: ClassVar[bool] = True


def test_cpu_heavy_work_never_overlaps_a_performance_measurement(review: Run) -> None:
    registry = CheckRegistry.default()
    registry.register(_Heavy)
    registry.register(_Perf)
    _Timed.spans.clear()
    criteria = [crit(f"h{i}", {"type": "test.heavy"}) for i in range(4)]
    criteria += [crit(f"p{i}", {"type": "test.perf"}) for i in range(4)]
    r = review(criteria, registry=registry, jobs=8)
    assert all(res.status is Status.PASS for res in r.results)
    heavy = [s for s in _Timed.spans if s[0] == "test.heavy"]
    perf = [s for s in _Timed.spans if s[0] == "test.perf"]
    assert not [(h, p) for h in heavy for p in perf if h[1] < p[2] and p[1] < h[2]]
    # Heavy checks still share the machine with each other.
    assert any(a[1] < b[2] and b[1] < a[2] for i, a in enumerate(heavy) for b in heavy[i + 1 :])
    # Every performance result says what golive itself used while it measured.
    for res in r.results:
        names = {m.name for m in res.measurements}
        assert ({"golive_cpu", "machine_cpu"} <= names) is res.criterion_id.startswith("p")
