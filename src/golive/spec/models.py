"""The readiness spec (``golive.yaml``) as pydantic models.

These models are the single source of truth: they validate the spec and generate the
JSON Schema that ``golive schema`` publishes. They are frozen, so after loading the spec
moves through golive as immutable, keyword-only objects.
"""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from golive.errors import UsageError
from golive.kit import CommandLine
from golive.kit.model import Frozen
from golive.results import Tier
from golive.spec._duration import Duration
from golive.spec.deploy import DeployConfig

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

KNOWN_AREAS = (
    "runbook",
    "monitoring",
    "testing",
    "cicd",
    "security",
    "dr",
    "performance",
    "docs",
)
"""The areas golive knows; the set is open, other names are accepted."""


class Service(Frozen):
    """The service under review."""

    name: str = Field(min_length=1, description="Service name, used in reports and history.")
    owner: str = Field(default="", description="Owning team or person.")
    description: str = ""


class Environment(Frozen):
    """Where the service runs: URLs and settings checks use, and how to start it locally."""

    base_url: str | None = Field(
        default=None,
        description="Base URL of the service, e.g. http://127.0.0.1:8000. Needed only by checks that "
        "talk to the running service (http, load, probes...); a spec of static checks can omit it.",
    )
    health_path: str = Field(default="/healthz", description="Path that answers 2xx when healthy.")
    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    database_url: str | None = Field(
        default=None, description="Database URL; write secrets as ${ENV_VAR} references."
    )
    openapi_path: str = "/openapi.json"
    allow_hosts: list[str] = Field(
        default_factory=list,
        description="Non-loopback hosts that active checks (load, probes) may send traffic to.",
    )
    vars: dict[str, str] = Field(
        default_factory=dict, description="Other settings, available to checks as ${NAME}."
    )
    up: CommandLine | None = Field(
        default=None,
        description="Command that starts a local stack; golive waits for the health path.",
    )
    down: CommandLine | None = Field(
        default=None, description="Command that stops the stack; always run after the review."
    )
    up_timeout: Duration = Field(default=60.0, description="How long to wait for health.")
    up_env: dict[str, str] = Field(default_factory=dict, description="Extra env for up/down.")
    production: bool | None = Field(
        default=None,
        description="This environment is production (default: when its name says so, e.g. prod, "
        "production, eu-prod). Destructive steps are refused in production unless it opts in.",
    )
    allow_destructive: bool = Field(
        default=False,
        description="Production only: destructive steps (runbook steps marked destructive, deploy "
        "drills) may run here, and only when the run is also started with --allow-destructive.",
    )
    generate: list[str] = Field(
        default_factory=list,
        description="Variables golive fills with a fresh random value for each review (unless set), "
        "e.g. a throwaway admin password shared by the local stack and the checks.",
    )
    public_vars: list[str] = Field(
        default_factory=list,
        description="Process variables whose values are not secret (a host name, a region): shown "
        "as they are. Every other ${VAR} taken from the process environment, every generated one "
        "and every value under a credential-named key is masked in every output; numbers and "
        "booleans (ports, flags) are never masked.",
    )


class Objectives(Frozen):
    """Service level objectives and recovery objectives."""

    availability: float | None = Field(default=None, gt=0, le=100, description="Percent.")
    latency_p95_ms: float | None = Field(default=None, gt=0)
    latency_p99_ms: float | None = Field(default=None, gt=0)
    error_rate: float | None = Field(default=None, ge=0, le=100, description="Percent.")
    rto: Duration | None = None
    rpo: Duration | None = None


class Tiers(Frozen):
    """Pass thresholds per tier, in percent."""

    must: float = Field(default=100.0, ge=0, le=100)
    should: float = Field(default=80.0, ge=0, le=100)
    nice: float = Field(default=60.0, ge=0, le=100)

    def threshold(self, tier: Tier) -> float:
        """The threshold for a tier."""
        return float(getattr(self, tier.value))


class CheckCall(BaseModel):
    """A check type and its parameters.

    Written flat in YAML (``{type: http, path: /healthz}``); after loading, ``params``
    holds an instance of the check type's own params model.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    type: str = Field(description="Registered check type, see `golive list-checks`.")
    params: Any = None

    @model_validator(mode="before")
    @classmethod
    def _gather_params(cls, data: Any) -> Any:
        if isinstance(data, dict) and "params" not in data:
            rest = {k: v for k, v in data.items() if k != "type"}
            return {"type": data.get("type"), "params": rest}
        return data


class Criterion(Frozen):
    """One readiness criterion: a check that exercises the real system."""

    id: str = Field(pattern=ID_PATTERN, description="Unique id, lower-case, e.g. mon.alerts.")
    title: str = Field(min_length=1)
    area: str = Field(min_length=1, description=f"One of {', '.join(KNOWN_AREAS)} or your own.")
    tier: Tier
    check: CheckCall
    timeout: Duration = Field(default=120.0, gt=0)
    needs: list[str] = Field(default_factory=list)
    exclusive: bool | None = Field(
        default=None,
        description="Run with no other check at the same time (drills, load tests). "
        "Default: the check type's own setting.",
    )
    offline: bool | None = Field(
        default=None,
        description="The check never talks to the service under review (a test suite on its own "
        "fixtures, a scanner), so it may run while a disruptive check (probe, API fuzzer) disturbs "
        "the service. Default: the check type's own setting (scanners yes, test suites no).",
    )
    risk: str = Field(default="", description="What goes wrong in production without it.")
    fix: str = Field(
        default="",
        description="What to run or do when this criterion is not met, e.g. `golive init runbook`.",
    )
    reuse: Duration | None = Field(
        default=None,
        gt=0,
        description="Reuse the pass/fail evidence of an earlier review of this spec and environment, "
        "at most this old (e.g. 24h), when the check's inputs (files, tool versions, params, golive "
        "version) did not change. Only check types that declare their inputs are reusable; checks "
        "of the running system (http, load, drills, probes) always run.",
    )
    owner: str = ""
    description: str = ""


class Goal(Frozen):
    """A success criterion of the readiness plan, proven by several criteria (checks).

    A goal passes only when every one of its criteria passes (or is waived). When goals are
    declared, tier percentages are computed over goals, not over individual checks.
    """

    id: str = Field(pattern=ID_PATTERN, description="Unique id, e.g. dr-tested.")
    title: str = Field(min_length=1, description='The plan\'s wording, e.g. "DR procedures are tested".')
    tier: Tier
    criteria: list[str] = Field(min_length=1, description="Ids of the criteria that prove it.")
    risk: str = Field(default="", description="What goes wrong in production without it.")


class Waiver(Frozen):
    """An accepted gap: the criterion counts as passed until ``expires``."""

    criterion: str
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date


class Spec(Frozen):
    """The whole readiness spec."""

    version: int = Field(default=1, ge=1, le=1)
    service: Service
    environments: dict[str, Environment] = Field(min_length=1)
    default_environment: str | None = None
    objectives: Objectives = Field(default_factory=Objectives)
    tiers: Tiers = Field(default_factory=Tiers)
    criteria: list[Criterion] = Field(default_factory=list)
    goals: list[Goal] = Field(
        default_factory=list,
        description="Success criteria of the plan; when given, every criterion belongs to exactly one.",
    )
    waivers: list[Waiver] = Field(default_factory=list)
    deploy: DeployConfig | None = Field(
        default=None, description="How `golive deploy` deploys, verifies and rolls back."
    )

    # Where the spec was read from; not part of the document, so not in the schema.
    _path: Path = PrivateAttr(default=Path("golive.yaml"))

    @field_validator("environments")
    @classmethod
    def _env_names(cls, value: dict[str, Environment]) -> dict[str, Environment]:
        for name in value:
            if not name or not name.replace("-", "").replace("_", "").isalnum():
                raise ValueError(f"environment name {name!r} must be alphanumeric (- and _ allowed)")
        return value

    @property
    def path(self) -> Path:
        """The file the spec was read from."""
        return self._path

    def with_path(self, path: Path) -> Spec:
        """A copy of the spec that remembers the file it was read from."""
        copy = self.model_copy()
        copy._path = path
        return copy

    @property
    def root(self) -> Path:
        """Directory of the spec file: relative paths in checks are relative to it."""
        return self.path.parent

    def environment(self, name: str | None) -> tuple[str, Environment]:
        """Pick an environment by name, or the default (the only or first one).

        UsageError (with a did-you-mean) for a name the spec does not define.
        """
        if name is None:
            name = self.default_environment or next(iter(self.environments))
        try:
            return name, self.environments[name]
        except KeyError:
            hint = difflib.get_close_matches(name, list(self.environments), n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise UsageError(
                f"unknown environment {name!r}{extra}; the spec defines: {', '.join(self.environments)}"
            ) from None

    def criterion(self, criterion_id: str) -> Criterion:
        """Look up a criterion by id."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)
