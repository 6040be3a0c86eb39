"""The ``deploy:`` settings as the deploy family uses them (models and loader live in the spec).

The section lives in golive.yaml (``deploy:``, validated with the spec and modelled in
:mod:`golive.spec.deploy`) or, for teams that keep deploy settings apart, in ``deploy.yaml``
beside it (same shape: a top-level ``deploy:`` key). Problems are reported with
file:line:col like spec problems.
"""

from __future__ import annotations

from golive.kit import CommandLine
from golive.spec._deploy_file import (
    DEPLOY_FILENAME,
    deploy_config_path,
    load_deploy_config,
    loads_deploy_config,
)
from golive.spec.deploy import (
    BUILTIN_METRICS,
    AlertGate,
    Analysis,
    ArtifactGate,
    BlueGreen,
    Canary,
    CommandDriverConfig,
    DeployConfig,
    DriverConfig,
    Gates,
    KubernetesDriverConfig,
    LocalDriverConfig,
    Metric,
    Probe,
    ReviewGate,
    Verify,
)

__all__ = [
    "AlertGate",
    "Analysis",
    "ArtifactGate",
    "BUILTIN_METRICS",
    "BlueGreen",
    "Canary",
    "CommandDriverConfig",
    "CommandLine",
    "DEPLOY_FILENAME",
    "DeployConfig",
    "DriverConfig",
    "Gates",
    "KubernetesDriverConfig",
    "LocalDriverConfig",
    "Metric",
    "Probe",
    "ReviewGate",
    "Verify",
    "deploy_config_path",
    "load_deploy_config",
    "loads_deploy_config",
]
