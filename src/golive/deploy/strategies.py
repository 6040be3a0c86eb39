"""Rolling, canary and blue-green: the order of driver operations and verifications.

A strategy only moves forward; when anything fails (or the run is stopped) it raises and
the deployer undoes what the strategy recorded as done (see :class:`Progress`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from golive.deploy.analysis import Target
from golive.deploy.base import Driver, Release, Strategy
from golive.deploy.config import DeployConfig
from golive.deploy.verify import NothingToAnalyse, Verifier


@dataclass(frozen=True, kw_only=True)
class DeployEvent:
    """Progress for whoever shows it: a step, a traffic change, or a log line."""

    kind: str
    """``step``, ``weight``, ``log`` or ``outcome``."""
    message: str
    weight: int | None = None


@dataclass(kw_only=True)
class Progress:
    """What a strategy has done so far, so that a rollback knows what to undo."""

    candidate_started: bool = False
    deployed: bool = False
    """Rolling: the new version replaced the old one."""
    switched: bool = False
    """All traffic moved to the new version while the old one is kept as standby."""
    traffic_at: float | None = None
    """``time.monotonic()`` when the new version first received traffic."""
    detected_at: float | None = None
    """When the failure was decided."""
    steps: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Run:
    """One strategy run: its inputs and its progress."""

    driver: Driver
    config: DeployConfig
    release: Release
    previous: Release | None
    verifier: Verifier
    emit: Callable[[DeployEvent], None]
    progress: Progress = field(default_factory=Progress)

    def step(self, message: str, weight: int | None = None) -> None:
        """Announce a step (and log it)."""
        self.progress.steps.append(message)
        self.verifier.log(f"step: {message}")
        self.emit(
            DeployEvent(kind="weight" if weight is not None else "step", message=message, weight=weight)
        )

    def mark_traffic(self) -> None:
        """Remember the first moment the new version serves users."""
        if self.progress.traffic_at is None:
            self.progress.traffic_at = time.monotonic()


async def _entry_url(run: Run) -> str:
    state = await run.driver.state()
    return state.entry_url or run.verifier.base_url()


async def rolling(run: Run) -> None:
    """Deploy, then verify the new version where users reach it."""
    run.step(f"deploy {run.release.describe()} (rolling)")
    run.progress.deployed = True
    await run.driver.deploy(run.release)
    run.mark_traffic()
    url = await _entry_url(run)
    await run.verifier.health(url, what=run.release.version)
    await run.verifier.smoke(url, what=run.release.version)
    state = await run.driver.state()
    target = Target(
        version=run.release.version,
        url=state.stable_url or url,
        baseline_version=None,
    )
    run.step("analysis of the new version")
    await run.verifier.analyse("rolling", target)


async def _verify_candidate_directly(run: Run, phase: str) -> str | None:
    state = await run.driver.state()
    direct = state.candidate_url
    if direct is not None:
        await run.verifier.health(direct, what=f"{run.release.version} (direct)")
        await run.verifier.smoke(direct, what=f"{run.release.version} (direct)")
    return direct


async def canary(run: Run) -> None:
    """Start the candidate, then shift traffic step by step with an analysis at each step."""
    if run.previous is None:
        run.verifier.log("no version is running: the canary takes all traffic at once")
    run.step(f"start canary {run.release.describe()}")
    run.progress.candidate_started = True
    await run.driver.start_candidate(run.release)
    direct = await _verify_candidate_directly(run, "canary")
    state = await run.driver.state()
    steps = run.config.canary.steps if run.previous is not None else [100]
    for weight in steps:
        if weight >= 100:
            break
        run.step(f"canary weight {weight}%", weight=weight)
        await run.driver.set_weight(weight)
        run.mark_traffic()
        target = Target(
            version=run.release.version,
            url=direct or state.entry_url,
            baseline_version=run.previous.version if run.previous else None,
            baseline_url=state.stable_url,
        )
        await run.verifier.analyse(f"canary {weight}%", target)
    run.step("promote: 100% to the new version", weight=100)
    # Keep the old version until the switch is complete, so an interruption here can still
    # switch back; then retire it.
    await run.driver.promote(keep_previous=True)
    run.progress.switched = True
    run.mark_traffic()
    await run.driver.retire_standby()
    run.progress.switched = False
    run.progress.deployed = True
    if run.previous is None:
        # Nothing to compare with and no steps were analysed: verify the version as rolling does.
        state = await run.driver.state()
        url = state.stable_url or state.entry_url or run.verifier.base_url()
        run.step("analysis of the first version")
        await run.verifier.analyse("first version", Target(version=run.release.version, url=url))


async def blue_green(run: Run) -> None:
    """Start green beside blue, verify green directly, switch, watch, keep blue for the grace period."""
    bg = run.config.blue_green
    run.step(
        f"start green {run.release.describe()} beside blue {run.previous.describe() if run.previous else '-'}"
    )
    run.progress.candidate_started = True
    await run.driver.start_candidate(run.release)
    direct = await _verify_candidate_directly(run, "green")
    if direct is not None:
        run.step("analysis of green directly (probes, no user traffic yet)")
        try:
            await run.verifier.analyse(
                "green (direct)", Target(version=run.release.version, url=direct), probe_only=True
            )
        except NothingToAnalyse:
            pass
    run.step("switch all traffic to green", weight=100)
    switched_at = time.monotonic()
    await run.driver.promote(keep_previous=True)
    run.progress.switched = run.previous is not None
    run.progress.candidate_started = False
    run.mark_traffic()
    run.verifier.log(f"switched in {time.monotonic() - switched_at:.2f}s")
    state = await run.driver.state()
    run.step("analysis after the switch (blue kept for an instant switch-back)")
    await run.verifier.analyse(
        "after switch",
        Target(
            version=run.release.version,
            url=state.stable_url or state.entry_url or run.verifier.base_url(),
            baseline_version=None,
        ),
    )
    remaining = bg.grace - (time.monotonic() - switched_at)
    if remaining > 0:
        run.step(f"grace period: blue kept {remaining:.0f}s more")
        await asyncio.sleep(remaining)
    if not bg.keep_standby:
        run.step("retire blue")
        await run.driver.retire_standby()
    elif run.previous is not None:
        run.verifier.log(
            f"blue {run.previous.version} stays as standby: `golive rollback` switches back at once"
        )
    run.progress.switched = False
    run.progress.deployed = True


STRATEGIES: dict[Strategy, Callable[[Run], Coroutine[Any, Any, None]]] = {
    Strategy.ROLLING: rolling,
    Strategy.CANARY: canary,
    Strategy.BLUE_GREEN: blue_green,
}
"""The strategy functions by name."""
