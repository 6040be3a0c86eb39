"""``golive init ci``: write the GitHub Actions CI/CD pipeline of the discovered service.

What runs comes from :func:`golive.testing._ci_facts.options_from_facts`; this module
renders it. The templates use ``[[ ]]`` / ``[% %]`` delimiters so that GitHub's own
``${{ }}`` expressions pass through untouched.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jinja2

from golive.kit.files import GeneratedFiles
from golive.testing._ci_facts import options_from_facts
from golive.testing._ci_model import PINS, VERSIONS, CiOptions, CiStep, Postgres, todo
from golive.testing._github import WORKFLOWS
from golive.testing.base import TestingError

__all__ = [
    "PINS",
    "VERSIONS",
    "CiOptions",
    "CiStep",
    "Postgres",
    "all_steps",
    "deploy_steps",
    "options_from_facts",
    "render",
    "write",
]


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


def deploy_steps(options: CiOptions) -> dict[str, CiStep]:
    """Deploy, rollback and smoke-test steps: the repository's commands or loud placeholders."""
    deploy = options.deploy or todo("Deploy", "the command that deploys $DEPLOY_VERSION to $DEPLOY_ENV")
    rollback = options.rollback or todo(
        "Roll back to the previous release", "the command that rolls $DEPLOY_ENV back"
    )
    verify = (
        CiStep(name="Smoke test (health and readiness)", run=options.verify)
        if options.verify
        else todo("Smoke test", "a smoke test of the deployed service (no health path was found)")
    )
    # A command that names no environment (``make deploy``) may well deploy production: the
    # staging job must not run it, so staging gets a loud placeholder instead.
    staging = (
        deploy
        if options.deploy is None or "DEPLOY_ENV" in deploy.run
        else todo(
            "Deploy to staging",
            "a command that deploys $DEPLOY_VERSION to staging (the deploy command found names no "
            "environment, so it may deploy production)",
        )
    )
    return {
        "deploy_step": deploy,
        "staging_deploy_step": staging,
        "rollback_step": rollback,
        "verify_step": verify,
    }


def all_steps(options: CiOptions) -> list[CiStep]:
    """Every step the pipeline runs that golive decided (placeholders included)."""
    fixed = [options.lint, options.unit, options.integration, options.build]
    return [*options.setup, *fixed, *options.e2e, *options.security, *deploy_steps(options).values()]


def _branch_condition(options: CiOptions) -> str:
    if options.branch is None:
        return "github.ref_name == github.event.repository.default_branch"
    return f"github.ref == 'refs/heads/{options.branch.replace(chr(39), chr(39) * 2)}'"


def render(options: CiOptions) -> dict[str, str]:
    """The workflow files by name (``ci.yml``, ``cd.yml``)."""
    env = _environment()
    prefix = "" if options.working_directory in (".", "") else options.working_directory.rstrip("/") + "/"
    values: dict[str, Any] = {
        **asdict(options),
        # Steps stay objects (asdict would turn them into dicts without their properties).
        **{
            k: getattr(options, k)
            for k in (
                "setup",
                "lint",
                "unit",
                "integration",
                "e2e",
                "security",
                "build",
                "deploy",
                "rollback",
            )
        },
        **deploy_steps(options),
        "workflows_dir": str(WORKFLOWS),
        "path_prefix": prefix,
        "on_branch": _branch_condition(options),
    }
    out = {}
    for name in ("ci.yml", "cd.yml"):
        text = env.get_template(f"{name}.j2").render(**values)
        # Blank lines left by block tags make diffs noisy: none between steps, one between jobs.
        text = re.sub(r"\n\n+(\s+- name:)", r"\n\1", text)
        text = re.sub(r"\n{3,}", "\n\n", text)
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
