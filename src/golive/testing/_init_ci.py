"""``golive init ci``: write a GitHub Actions CI/CD pipeline that passes ``ci.pipeline``.

The templates use ``[[ ]]`` / ``[% %]`` delimiters so that GitHub's own ``${{ }}``
expressions pass through untouched.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import jinja2

from golive import __version__
from golive.kit.files import GeneratedFiles
from golive.testing._github import WORKFLOWS
from golive.testing.base import TestingError

#: Actions pinned to full commit SHAs (the tag in the comment is for people and Dependabot).
PINS = {
    "checkout": "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2",
    "setup_python": "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b  # v5.3.0",
    "upload_artifact": "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02  # v4.6.2",
    "download_artifact": ("actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093  # v4.3.0"),
    "upload_sarif": (
        "github/codeql-action/upload-sarif@ff0a06e83cb2de871e5a09832bc6a81e7276941f  # v3.28.18"
    ),
}

#: Tool versions installed by the generated workflows (pinned for reproducible CI).
VERSIONS = {"bandit": "1.8.3", "zizmor": "1.32.0", "pip_audit": "2.9.0", "build": "1.2.2"}


@dataclass(frozen=True, kw_only=True)
class CiOptions:
    """What the generated pipeline runs; defaults suit a Python service with pytest."""

    service: str
    working_directory: str = "."
    python: str = "3.11"
    install_target: str = ".[dev]"
    source_dir: str = "src"
    cov_target: str = "src"
    lint_command: str = "ruff check ."
    types_command: str = "mypy"
    unit_command: str = 'python -m pytest tests -m "not postgres"'
    integration_command: str = 'python -m pytest tests -m "postgres"'
    e2e_command: str = "python -m pytest e2e -m critical"
    coverage: int = 80
    pg_url_env: str = "TEST_DATABASE_URL"
    postgres_image: str = "postgres:16"
    staging_env: str = "staging"
    deploy_command: str = './deploy.sh "$DEPLOY_ENV" "$DEPLOY_VERSION"'
    rollback_command: str = './deploy.sh "$DEPLOY_ENV" --rollback'
    verify_command: str = (
        "curl --fail --silent --show-error --retry 10 --retry-delay 6 --retry-all-errors "
        '"$PRODUCTION_URL/healthz" && curl --fail --silent --show-error "$PRODUCTION_URL/readyz"'
    )
    golive_version: str = __version__
    pins: dict[str, str] = field(default_factory=lambda: dict(PINS))
    versions: dict[str, str] = field(default_factory=lambda: dict(VERSIONS))

    @property
    def workflows_dir(self) -> str:
        """The workflows directory as seen from the working directory."""
        return str(WORKFLOWS)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("golive.testing", "templates"),
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        keep_trailing_newline=True,
        trim_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # YAML, not HTML
    )


def render(options: CiOptions) -> dict[str, str]:
    """The workflow files by name (``ci.yml``, ``cd.yml``)."""
    env = _environment()
    prefix = "" if options.working_directory in (".", "") else options.working_directory.rstrip("/") + "/"
    values = {**asdict(options), "workflows_dir": options.workflows_dir, "path_prefix": prefix}
    out = {}
    for name in ("ci.yml", "cd.yml"):
        text = env.get_template(f"{name}.j2").render(**values)
        # Blank lines left by block tags make diffs noisy; keep at most one.
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        out[name] = text
    return out


def write(root: Path, options: CiOptions, *, force: bool = False) -> list[Path]:
    """Write the workflows under ``root/.github/workflows``; return the files that changed.

    The generated-files policy: a workflow golive wrote and nobody changed since is
    rewritten; one the team changed (or golive did not write) is kept, and a TestingError
    names it, unless ``force``.
    """
    target = root / WORKFLOWS
    files = GeneratedFiles(root=target, generator="golive init ci")
    written, conflicts = files.write(render(options), force=force)
    if conflicts:
        names = ", ".join(str(target / c.relpath) for c in conflicts)
        raise TestingError(
            f"{names}: already exist with changes golive did not write; pass --force to overwrite"
        )
    return [target / name for name in written]
