"""Where the ``deploy:`` settings are read from, and loading deploy.yaml with positions.

The section lives in golive.yaml (``deploy:``, validated with the spec and modelled in
:mod:`golive.spec.deploy`) or, for teams that keep deploy settings apart, in ``deploy.yaml``
beside it (same shape: a top-level ``deploy:`` key). Problems are reported with
file:line:col like spec problems. Core owns this: the deploy family, the runbook check and
the readiness package all read the settings through it.
"""

from __future__ import annotations

from pathlib import Path

from golive.errors import SpecError, SpecProblem
from golive.kit.model import Frozen
from golive.spec._loader import load_yaml_model
from golive.spec._yaml import read_text
from golive.spec.deploy import DeployConfig
from golive.spec.models import Spec

DEPLOY_FILENAME = "deploy.yaml"
"""The file, beside golive.yaml, that may hold the ``deploy:`` section instead of golive.yaml."""


class _File(Frozen):
    deploy: DeployConfig


def deploy_config_path(spec: Spec, override: Path | str | None = None) -> Path:
    """Where the deploy section of ``spec`` is read from: ``override`` or deploy.yaml beside it."""
    if override is not None:
        p = Path(override)
        return p if p.is_absolute() else Path.cwd() / p
    return spec.root / DEPLOY_FILENAME


def load_deploy_config(spec: Spec, path: Path | str | None = None) -> DeployConfig:
    """The deploy settings of a spec.

    An explicit ``path`` wins; then the spec's own ``deploy:`` section; then deploy.yaml
    beside golive.yaml. Raises :class:`~golive.errors.SpecError` with positions when the file
    is invalid, and when there is no deploy section at all.
    """
    if path is None and spec.deploy is not None:
        return spec.deploy
    path = deploy_config_path(spec, path)
    if not path.is_file():
        raise SpecError(
            [
                SpecProblem(
                    file=str(path),
                    line=0,
                    col=0,
                    message="no deploy section: add `deploy:` to golive.yaml or create deploy.yaml "
                    "beside golive.yaml (see docs/deploy.md)",
                )
            ]
        )
    return loads_deploy_config(read_text(path), display=str(path))


def loads_deploy_config(text: str, *, display: str = DEPLOY_FILENAME) -> DeployConfig:
    """Validate the text of a deploy.yaml (a mapping with a ``deploy:`` key)."""
    return load_yaml_model(
        text,
        _File,
        display=display,
        not_a_mapping="expected a mapping with a 'deploy' key",
    ).deploy
