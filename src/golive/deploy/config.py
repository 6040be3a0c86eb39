"""The ``deploy:`` settings as pydantic models, and loading them with positioned errors.

The section lives in golive.yaml (``deploy:``, validated with the spec) or, for teams that
keep deploy settings apart, in ``deploy.yaml`` beside it (same shape: a top-level
``deploy:`` key). Problems are reported with file:line:col like spec problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError

from golive.deploy.settings import (
    BUILTIN_METRICS,
    AlertGate,
    Analysis,
    ArtifactGate,
    BlueGreen,
    Canary,
    CommandDriverConfig,
    CommandLine,
    DeployConfig,
    DriverConfig,
    Gates,
    KubernetesDriverConfig,
    LocalDriverConfig,
    Metric,
    Probe,
    ReviewGate,
    Verify,
    _Frozen,
)
from golive.errors import SpecError, SpecProblem
from golive.spec import Spec
from golive.spec._loader import _all_field_names, _clean_loc, _Constructor, _describe, _plain, _Positions

DEPLOY_FILENAME = "deploy.yaml"
"""The file, beside golive.yaml, that holds the ``deploy:`` section for now."""



class _File(_Frozen):
    deploy: DeployConfig


def deploy_config_path(spec: Spec, override: Path | str | None = None) -> Path:
    """Where the deploy section of ``spec`` is read from: ``override`` or deploy.yaml beside it."""
    if override is not None:
        p = Path(override)
        return p if p.is_absolute() else Path.cwd() / p
    return spec.root / DEPLOY_FILENAME


def load_deploy_config(spec: Spec, path: Path | str | None = None) -> DeployConfig:
    """The deploy settings of a spec.

    An explicit ``path`` wins; then the spec's own ``deploy`` field once the spec model has
    one; then deploy.yaml beside golive.yaml. Raises :class:`~golive.errors.SpecError` with
    positions when the file is invalid, and when there is no deploy section at all.
    """
    inline = getattr(spec, "deploy", None)
    if path is None and isinstance(inline, DeployConfig):
        return inline
    path = deploy_config_path(spec, path)
    if not path.is_file():
        raise SpecError(
            [
                SpecProblem(
                    file=str(path),
                    line=0,
                    col=0,
                    message="no deploy section: create deploy.yaml beside golive.yaml (see docs/deploy.md)",
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([SpecProblem(file=str(path), line=0, col=0, message=f"cannot read: {exc}")]) from exc
    return loads_deploy_config(text, display=str(path))


def loads_deploy_config(text: str, *, display: str = DEPLOY_FILENAME) -> DeployConfig:
    """Validate the text of a deploy.yaml (a mapping with a ``deploy:`` key)."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        tree: Any = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise SpecError(
            [SpecProblem(file=display, line=line, col=col, message=f"YAML syntax error: {exc.problem}")]
        ) from None
    if not isinstance(tree, CommentedMap):
        raise SpecError(
            [SpecProblem(file=display, line=1, col=1, message="expected a mapping with a 'deploy' key")]
        )
    positions = _Positions(tree)
    try:
        return _File.model_validate(_plain(tree)).deploy
    except ValidationError as exc:
        known = _all_field_names(_File)
        problems: dict[tuple[int, int], SpecProblem] = {}
        for err in exc.errors():
            loc = _clean_loc(err["loc"])
            # The discriminated union adds the member tag ('local') to the location.
            loc = tuple(p for p in loc if p not in ("local", "command", "kubernetes"))
            line, col = positions.locate(loc)
            problems.setdefault(
                (line, col), SpecProblem(file=display, line=line, col=col, message=_describe(err, known))
            )
        raise SpecError(sorted(problems.values(), key=lambda p: (p.line, p.col))) from None


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
