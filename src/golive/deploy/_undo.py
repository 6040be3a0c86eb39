"""The automatic rollback after a failed (or stopped) deploy, and its verification.

What to undo follows from what the strategy recorded as done (:class:`Progress`): a running
candidate is aborted, a blue-green switch is switched back, a replaced version is redeployed.
"""

from __future__ import annotations

import asyncio

from golive.deploy.base import DeployOutcome
from golive.deploy.strategies import DeployEvent, Run
from golive.errors import GoliveError


async def undo(run: Run) -> tuple[DeployOutcome, bool | None]:
    """Undo what the strategy did and verify the previous version: (outcome, verified).

    Shielded, so a second SIGINT/SIGTERM cannot stop a rollback half-way.
    """
    return await asyncio.shield(_undo(run))


async def _undo(run: Run) -> tuple[DeployOutcome, bool | None]:
    log = run.verifier.log
    run.emit(DeployEvent(kind="step", message="rollback"))
    try:
        undone = await _revert(run)
    except GoliveError as exc:
        log(f"ROLLBACK FAILED: {exc}")
        return DeployOutcome.ROLLBACK_FAILED, False
    if undone is not None:
        return undone
    if run.previous is None:
        return DeployOutcome.ROLLED_BACK, None
    try:
        state = await run.driver.state()
        url = state.entry_url or run.verifier.base_url()
        await run.verifier.rollback_check(url, what=f"{run.previous.version} after rollback")
    except GoliveError as exc:
        log(f"ROLLBACK NOT VERIFIED: {exc}")
        return DeployOutcome.ROLLBACK_FAILED, False
    log(f"rollback to {run.previous.version} verified")
    return DeployOutcome.ROLLED_BACK, True


async def _revert(run: Run) -> tuple[DeployOutcome, bool | None] | None:
    """Put the previous version back; an outcome when there is nothing left to verify."""
    log, driver, p = run.verifier.log, run.driver, run.progress
    state = await driver.state()
    if state.candidate is not None:
        log(
            f"rollback: traffic back to {run.previous.version if run.previous else 'nothing'}; "
            f"stop {state.candidate.version}"
        )
        await driver.abort_candidate()
    elif p.switched and state.standby is not None:
        log(f"rollback: switch back to standby {state.standby.version}")
        await driver.switch_back()
    elif p.deployed or p.switched:
        if run.previous is None:
            live = state.stable
            if live is None or live.version != run.release.version:
                log("the new version never went live and nothing ran before: nothing to undo")
                return DeployOutcome.ROLLED_BACK, None
            log("no previous version to roll back to; the failed version stays")
            return DeployOutcome.ROLLBACK_FAILED, False
        log(f"rollback: redeploy {run.previous.describe()}")
        await driver.rollback(run.previous)
    else:
        log("rollback: nothing had changed")
    return None
