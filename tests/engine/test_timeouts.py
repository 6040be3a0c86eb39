"""Timeouts keep the evidence gathered so far and kill every process a check started.

The check's own timeout (``ctx.timeout``) fires first, so a command check reports its output
and reproducer; the engine's hard limit, a little later, still stops a check that ignores it.
Either way a child that left the process group with ``setsid`` is gone when the check ends.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from golive.checks.registry import CheckRegistry
from golive.engine.runner import hard_limit
from golive.kit.check import CheckContext, Params
from golive.results import Outcome, Review, Status
from tests.engine.test_runner import alive
from tests.fixtures.review import crit

Run = Callable[..., Review]


def _escaping_child(pidfile: Path) -> str:
    """Shell text: a child that leaves the group (setsid), writes its pid and sleeps."""
    code = (
        f"import os, time; os.setsid(); open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    )
    return f'{sys.executable} -c "{code}" &'


def test_a_timed_out_command_keeps_its_output_and_reproducer(review: Run, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = f"echo step-1-done; echo warming-up >&2; {_escaping_child(pidfile)} sleep 600"
    r = review([crit("hang", {"type": "command", "shell": True, "command": script}, timeout="1s")])
    result = r.results[0]
    assert result.status is Status.ERROR
    assert result.summary.startswith("timed out after 1s"), result.summary
    assert "step-1-done" in result.evidence.excerpt and "warming-up" in result.evidence.excerpt
    assert "echo step-1-done" in result.reproducer
    assert not alive(int(pidfile.read_text())), "the setsid child outlived the check"


class Stubborn:
    """A check type that ignores its own timeout: only the engine's hard limit stops it."""

    name: ClassVar[str] = "test.stubborn"
    description: ClassVar[str] = "runs a command with no timeout of its own"
    Params: ClassVar[type[StubbornParams]]

    async def run(self, params: StubbornParams, ctx: CheckContext) -> Outcome:
        await ctx.run(f"{_escaping_child(Path(params.pidfile))} sleep 600", shell=True, timeout=600)
        return Outcome(status=Status.PASS, summary="never")


class StubbornParams(Params):
    pidfile: str


Stubborn.Params = StubbornParams


def test_the_engine_hard_limit_still_kills_escaped_children(review: Run, tmp_path: Path) -> None:
    registry = CheckRegistry.default()
    registry.register(Stubborn)
    pidfile = tmp_path / "child.pid"
    r = review(
        [crit("stubborn", {"type": "test.stubborn", "pidfile": str(pidfile)}, timeout="0.5s")],
        registry=registry,
    )
    result = r.results[0]
    assert (result.status, result.summary) == (Status.ERROR, "check timed out after 0.5s and was stopped")
    assert 0.5 < hard_limit(0.5) <= result.duration_s + 0.1
    assert not alive(int(pidfile.read_text())), "the setsid child outlived the engine's hard limit"
