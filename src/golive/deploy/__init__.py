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
from golive.kit.family import Command, Family

FAMILY = Family(
    name="deploy",
    help="Guarded deployments with verification and automatic rollback.",
    checks={"deploy.drill": "golive.deploy.checks:DeployDrillCheck"},
    params={
        "deploy.drill": "golive.deploy.checks:DeployDrillParams",
    },
    commands={
        "deploy": Command(
            target="golive.deploy.cli:deploy_cmd",
            help="Deploy a version behind gates, verify it, roll back on failure.",
        ),
        "rollback": Command(
            target="golive.deploy.cli:rollback_cmd", help="Roll back to the previous version."
        ),
    },
)

__all__ = [
    "FAMILY",
    "DeployError",
    "DeployLocked",
    "DeployOutcome",
    "Driver",
    "DriverState",
    "GateRefused",
    "Release",
    "Strategy",
]
