"""The deploy family: the protocol every deploy driver follows, its error, and shared records.

A *driver* knows how to put a version of the service in front of users (run a command,
drive ``kubectl``, or run local processes behind nginx). A *strategy* (rolling, canary,
blue-green) decides in which order the driver's operations happen and when the new version
is verified; golive rolls back through the driver when verification fails.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

from golive.errors import GoliveError


class DeployError(GoliveError):
    """A deploy could not be started, a driver operation failed, or the config is unusable."""


class GateRefused(DeployError):
    """A pre-deploy gate refused the deploy (NO-GO review, open P0 alert, missing artifact)."""


class DeployLocked(DeployError):
    """Another deploy of the same service and environment holds the deploy lock."""


class Strategy(enum.StrEnum):
    """How a new version replaces the running one."""

    ROLLING = "rolling"
    """Replace the running version, then verify it."""
    CANARY = "canary"
    """Shift traffic in steps, verifying the new version at each step."""
    BLUE_GREEN = "blue-green"
    """Start the new version beside the old, verify it directly, switch all traffic at once."""


class DeployOutcome(enum.StrEnum):
    """How a deploy (or a manual rollback) ended; stored in the history's ``outcome``."""

    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled-back"
    """The new version failed (or the run was stopped) and the previous one serves again."""
    ROLLBACK_FAILED = "rollback-failed"
    """The rollback itself did not verify: a person must look now."""
    REFUSED = "refused"
    """A pre-deploy gate refused; nothing was changed."""
    DRY_RUN = "dry-run"
    """Only the plan was shown."""


@dataclass(frozen=True, kw_only=True)
class Release:
    """A version of the service and the extra settings it runs with (local driver only)."""

    version: str
    vars: Mapping[str, str] = field(default_factory=dict)
    """Extra environment for the instance, e.g. a fault switch for a drill's bad version."""

    def describe(self) -> str:
        """``1.2.0`` or ``1.2.0 (FAULT_ERROR_RATE=0.5)``."""
        extra = ", ".join(f"{k}={v}" for k, v in sorted(self.vars.items()))
        return f"{self.version} ({extra})" if extra else self.version


@dataclass(frozen=True, kw_only=True)
class DriverState:
    """What a driver reports as running now."""

    stable: Release | None
    """The version serving traffic (``None`` before the first deploy, or if unknown)."""
    candidate: Release | None = None
    """A version started beside the stable one (canary, or green in blue-green)."""
    standby: Release | None = None
    """The previous version kept for an instant switch-back after a blue-green switch."""
    weight: int = 0
    """Percent of traffic the candidate receives."""
    entry_url: str | None = None
    """Where users reach the service (e.g. nginx's address), if the driver knows it."""
    candidate_url: str | None = None
    """Where the candidate answers directly, bypassing the traffic split, if known."""
    stable_url: str | None = None
    """Where the stable version answers directly, if known."""


@runtime_checkable
class Driver(Protocol):
    """A way to deploy. Every method raises :class:`DeployError` when the operation fails.

    Rolling needs :meth:`deploy` and :meth:`rollback`; canary and blue-green need the
    candidate operations, which a driver offers when ``strategies`` names them.
    """

    #: Name used in ``driver: {type: NAME}``.
    name: ClassVar[str]
    #: Strategies this driver can carry out.
    strategies: ClassVar[frozenset[Strategy]]

    async def state(self) -> DriverState:
        """What runs now."""
        ...

    def plan(self, release: Release, strategy: Strategy) -> list[str]:
        """The operations (command lines where there are any) a deploy would perform."""
        ...

    async def deploy(self, release: Release) -> None:
        """Replace the running version with ``release`` (rolling)."""
        ...

    async def rollback(self, release: Release | None) -> None:
        """Bring back ``release`` (or the driver's own notion of the previous version)."""
        ...

    async def start_candidate(self, release: Release) -> None:
        """Start ``release`` beside the stable version, with no traffic yet."""
        ...

    async def set_weight(self, percent: int) -> None:
        """Send ``percent`` of traffic to the candidate, the rest to the stable version."""
        ...

    async def promote(self, *, keep_previous: bool) -> None:
        """Make the candidate the stable version (all traffic); keep the old one as standby."""
        ...

    async def abort_candidate(self) -> None:
        """Send all traffic back to the stable version and stop the candidate."""
        ...

    async def switch_back(self) -> None:
        """Blue-green: make the standby stable again (all traffic) and stop the current one."""
        ...

    async def retire_standby(self) -> None:
        """Stop the standby version (end of the blue-green grace period)."""
        ...

    async def close(self) -> None:
        """Release what the driver holds for this run (never stops the deployed service)."""
        ...


class RollingOnlyDriver:
    """The traffic-splitting half of :class:`Driver` for drivers that can only replace a
    version in place (no canary weights, no blue-green standby)."""

    #: Why canary and blue-green are refused, shown to the user.
    unsupported_reason: ClassVar[str] = "this driver supports the rolling strategy only"

    def _unsupported(self) -> DeployError:
        return DeployError(self.unsupported_reason)

    async def start_candidate(self, release: Release) -> None:
        """Not supported."""
        raise self._unsupported()

    async def set_weight(self, percent: int) -> None:
        """Not supported."""
        raise self._unsupported()

    async def promote(self, *, keep_previous: bool) -> None:
        """Not supported."""
        raise self._unsupported()

    async def abort_candidate(self) -> None:
        """Nothing to abort: there is never a candidate."""

    async def switch_back(self) -> None:
        """Not supported."""
        raise self._unsupported()

    async def retire_standby(self) -> None:
        """Nothing to retire."""
