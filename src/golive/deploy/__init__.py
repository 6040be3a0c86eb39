"""Guarded deployments: pre-deploy gates, drivers, strategies, analysis and automatic rollback.

``golive deploy`` (see :mod:`golive.deploy.cli`) runs a :class:`~golive.deploy.deployer.Deployer`:
lock, gates, a strategy (rolling, canary, blue-green) carried out by a driver (command,
kubernetes, local nginx), verification of the new version, and a rollback when anything
fails or the run is stopped. Every deploy and rollback is recorded in the history.
"""

from golive.deploy.base import (
    DeployError,
    DeployLocked,
    DeployOutcome,
    Driver,
    DriverState,
    GateRefused,
    Release,
    Strategy,
)

__all__ = [
    "DeployError",
    "DeployLocked",
    "DeployOutcome",
    "Driver",
    "DriverState",
    "GateRefused",
    "Release",
    "Strategy",
]
