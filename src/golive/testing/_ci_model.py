"""The pipeline ``golive init ci`` writes, as data: steps, services, deploy commands.

No field has a default that describes some particular service: every value is decided
from the discovered facts (:mod:`golive.testing._ci_facts`) or given by the user.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from golive import __version__

__all__ = ["PINS", "VERSIONS", "CiOptions", "CiStep", "Postgres", "todo"]

#: Actions pinned to full commit SHAs (the tag in the comment is for people and Dependabot).
PINS = {
    "checkout": "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2",
    "setup_python": "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b  # v5.3.0",
    "setup_node": "actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af  # v4.1.0",
    "setup_go": "actions/setup-go@0aaccfd150d50ccaeb58ebd88d36e91967a5f35b  # v5.4.0",
    "upload_artifact": "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02  # v4.6.2",
    "download_artifact": ("actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093  # v4.3.0"),
    "upload_sarif": (
        "github/codeql-action/upload-sarif@ff0a06e83cb2de871e5a09832bc6a81e7276941f  # v3.28.18"
    ),
}

#: Tool versions installed by the generated workflows (pinned for reproducible CI).
VERSIONS = {"zizmor": "1.32.0", "bandit": "1.8.3"}

#: The Python golive itself runs on in the release-gate job (golive's own need, not the service's).
GOLIVE_PYTHON = "3.12"


@dataclass(frozen=True, kw_only=True)
class CiStep:
    """One step: a command (``run``) or an action (``uses``, a key of :data:`PINS`)."""

    name: str
    run: str = ""
    uses: str = ""
    with_: tuple[tuple[str, str], ...] = ()
    #: A YAML comment written above the step (a TODO golive could not fill in).
    comment: str = ""
    #: Where the command runs when not in the service's directory (``.``: the repository root).
    working_directory: str = ""
    #: The SARIF category this step writes to ``<category>.sarif`` (uploaded to code scanning).
    sarif: str = ""

    @property
    def lines(self) -> list[str]:
        """The ``run`` script, line by line."""
        return self.run.splitlines()

    @property
    def placeholder(self) -> bool:
        """Whether this is a step golive could not fill in."""
        return self.run.startswith("echo 'golive TODO:")


def todo(name: str, what: str) -> CiStep:
    """A placeholder that fails the job until someone writes the real command."""
    # Quoted for the shell: a command named in ``what`` must be printed, never run.
    return CiStep(name=name, run=f"echo {shlex.quote('golive TODO: ' + what)} >&2\nexit 1")


@dataclass(frozen=True, kw_only=True)
class Postgres:
    """A throwaway PostgreSQL service for the tests, and how they find it."""

    #: The variable the service reads its database URL (or host) from.
    env: str
    value: str
    image: str = "postgres:16"


@dataclass(frozen=True, kw_only=True)
class CiOptions:
    """Everything the generated pipeline runs."""

    service: str
    #: The service's directory inside the repository (``.`` for the root).
    working_directory: str
    #: The branch deploys run from; None: the repository's default branch, read by GitHub.
    branch: str | None
    #: Set-up of the language and installation of the dependencies (after the check-out).
    setup: tuple[CiStep, ...]
    lint: CiStep
    unit: CiStep
    #: Whether the unit job needs the database (its tests are not split by marker).
    unit_postgres: bool
    integration: CiStep
    e2e: tuple[CiStep, ...]
    #: Scanners besides zizmor, which always runs on the workflows.
    security: tuple[CiStep, ...]
    build: CiStep
    #: Directory the build leaves its artifact in ('' when it builds an image or nothing).
    artifact: str
    postgres: Postgres | None
    #: The repository's deploy and rollback steps ($DEPLOY_ENV, $DEPLOY_VERSION are set); None: unknown.
    deploy: CiStep | None
    rollback: CiStep | None
    #: The post-deploy smoke test ('' when no health path was discovered).
    verify: str
    coverage: int = 80
    staging_env: str = "staging"
    golive_version: str = __version__
    golive_python: str = GOLIVE_PYTHON
    pins: dict[str, str] = field(default_factory=lambda: dict(PINS))
    versions: dict[str, str] = field(default_factory=lambda: dict(VERSIONS))
