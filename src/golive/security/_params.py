"""Params of the security check types, apart from the checks so that the probes can use them.

The probe modules read :class:`ProbeParams`; keeping the models here means no probe module
imports :mod:`golive.security.checks`, which imports them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from golive.kit.check import Params
from golive.security._tools import DEFAULT_EXCLUDES
from golive.security.base import Severity
from golive.security.baseline import DEFAULT_BASELINE


class GateParams(Params):
    """Params every security check shares: the gate and the baseline."""

    fail_on: Severity = Field(
        default=Severity.HIGH, description="Fail when an unwaived finding is at least this severe."
    )
    baseline: str = Field(
        default=DEFAULT_BASELINE,
        description="Accepted findings (owner, reason, expiry), relative to the spec.",
    )


class ScanParams(GateParams):
    """Params of the scanner checks."""

    path: str = Field(default=".", description="Directory to scan, relative to the spec.")
    exclude: list[str] = Field(
        default_factory=list, description="Directory names to skip, on top of .git, .venv, ..."
    )
    min_coverage: float = Field(
        default=100,
        ge=0,
        le=100,
        description="Percent of what golive asked each scanner to analyse (files, packages, "
        "commits) it must cover; below it the check fails naming what was missed.",
    )

    def excludes(self) -> tuple[str, ...]:
        """The directories no scanner enters."""
        return tuple(dict.fromkeys([*DEFAULT_EXCLUDES, *self.exclude]))


SastTool = Literal["bandit", "semgrep"]
SAST_TOOLS: tuple[SastTool, ...] = ("bandit", "semgrep")


class SastParams(ScanParams):
    """Params of ``security.sast``."""

    tools: list[SastTool] = Field(default_factory=lambda: list(SAST_TOOLS))
    rules: list[str] = Field(
        default_factory=list, description="Extra local semgrep rule files (never registry rules)."
    )
    shipped_rules: bool = Field(default=True, description="Use the rule files that ship with golive.")


class SecretsParams(ScanParams):
    """Params of ``security.secrets``."""

    history: bool = Field(
        default=True, description="Also scan lines added in git history (every commit of every ref)."
    )
    max_commits: int | None = Field(
        default=None,
        ge=1,
        description="Scan only the newest N commits of the history (default: all of them).",
    )


class DependenciesParams(ScanParams):
    """Params of ``security.dependencies``."""

    files: list[str] = Field(
        default_factory=list, description="Dependency files; default: discovered under path."
    )
    osv_db: str | None = Field(
        default=None, description="Offline OSV export: a directory of JSON records or a zip."
    )
    online: Literal["never", "auto", "always"] = Field(
        default="never",
        description="Query the OSV API: never; auto (when reachable, else osv_db); always.",
    )
    osv_api: str = Field(default="https://api.osv.dev", description="OSV API base URL.")
    max_age_days: float = Field(default=7, gt=0, description="Warn when the offline export is older.")
    sbom: bool = Field(default=True, description="Write a CycloneDX SBOM artifact.")


IacTool = Literal["checkov", "golive"]
IAC_TOOLS: tuple[IacTool, ...] = ("checkov", "golive")


class IacParams(ScanParams):
    """Params of ``security.iac``."""

    tools: list[IacTool] = Field(default_factory=lambda: list(IAC_TOOLS))


class WorkflowsParams(ScanParams):
    """Params of ``security.workflows``."""

    persona: Literal["regular", "pedantic", "auditor"] = "regular"


class AuthSettings(Params):
    """How ``security.probe`` gets a valid token for the auth probes."""

    token: str | None = Field(default=None, description="A bearer token, e.g. ${API_TOKEN}.")
    register_path: str | None = Field(default=None, description="POST here first to create an account.")
    register_body: dict[str, Any] = Field(
        default_factory=lambda: {"email": "{email}", "password": "{password}", "name": "{name}"},
        description="JSON body; {email}, {password}, {name} are generated per run.",
    )
    login_path: str | None = Field(default=None, description="POST here to log in.")
    login_body: dict[str, Any] = Field(default_factory=lambda: {"email": "{email}", "password": "{password}"})
    token_path: str = Field(default="$.access_token", description="JSONPath of the token in the answer.")
    signing_key: str | None = Field(
        default=None,
        description="HS256 key (e.g. ${JWT_SECRET}) to forge a correctly signed but expired token.",
    )


class RateLimitSettings(Params):
    """The burst of the rate-limit probe."""

    path: str
    method: Literal["GET", "POST"] = "GET"
    body: dict[str, Any] | None = Field(
        default=None, description="JSON body; {email}, {password} are generated per run."
    )
    limit: int = Field(ge=1, le=5000, description="The limit the service promises for this burst.")
    margin: float = Field(default=0.1, ge=0, le=1, description="Tolerated overshoot (0.1 = 10%).")
    concurrency: int = Field(default=4, ge=1, le=32)


ProbeName = Literal["headers", "cookies", "cors", "errors", "auth", "injection", "body_size", "rate_limit"]
PROBES: tuple[ProbeName, ...] = (
    "headers",
    "cookies",
    "cors",
    "errors",
    "auth",
    "injection",
    "body_size",
    "rate_limit",
)


class ProbeParams(GateParams):
    """Params of ``security.probe``."""

    base_url: str | None = Field(default=None, description="Default: the environment's base_url.")
    openapi: str | None = Field(default=None, description="Default: the environment's openapi_path.")
    headers_path: str | None = Field(default=None, description="Default: the environment's health_path.")
    probes: list[ProbeName] = Field(default_factory=lambda: list(PROBES))
    auth: AuthSettings = Field(default_factory=AuthSettings)
    rate_limit: RateLimitSettings | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1, le=8 * 1024 * 1024)
    body_size_path: str | None = None
    public_operations: list[str] | None = Field(
        default=None,
        description="Operations meant to answer without credentials ('POST /auth/login', 'GET /products*'); "
        "when set, any other operation that lets an anonymous request through is a finding.",
    )
    max_routes: int = Field(default=40, ge=1, le=500)
    max_requests: int = Field(default=2000, ge=10, le=20_000)
    request_timeout: float = Field(default=5.0, gt=0, le=60)

    @field_validator("probes")
    @classmethod
    def _some(cls, value: list[ProbeName]) -> list[ProbeName]:
        if not value:
            raise ValueError("select at least one probe")
        return value


class WafParams(Params):
    """Params of ``security.waf``."""

    base_url: str | None = Field(default=None, description="Default: the environment's base_url.")
    openapi: str | None = Field(
        default=None, description="Where the legitimate requests come from; default: openapi_path."
    )
    attack_path: str | None = Field(
        default=None,
        description="Path the attack payloads are sent to; default: the first GET operation of the "
        "OpenAPI document without path parameters.",
    )
    min_block_rate: float = Field(default=95, ge=0, le=100, description="Percent of attacks refused.")
    max_false_positive_rate: float = Field(
        default=0, ge=0, le=100, description="Percent of legitimate requests the WAF may refuse."
    )
    blocked_status: list[int] = Field(
        default_factory=lambda: [403], min_length=1, description="Statuses the WAF answers a refusal with."
    )
    blocked_body: str | None = Field(
        default=None,
        description="Regular expression a refusal's body must match to be the WAF's (the service's "
        "own 403 then counts as passed through).",
    )
    rate_per_second: float = Field(default=20, gt=0, le=500, description="golive's own request rate.")
    max_retries: int = Field(default=3, ge=0, le=10, description="Retries of a request answered 429.")
    max_backoff: float = Field(default=10, gt=0, le=120, description="Longest wait after a 429 (s).")
    max_legitimate: int = Field(default=40, ge=1, le=500, description="Most legitimate requests sent.")
    request_timeout: float = Field(default=5.0, gt=0, le=60)

    @field_validator("blocked_status")
    @classmethod
    def _not_429(cls, value: list[int]) -> list[int]:
        if 429 in value:
            raise ValueError("429 is the edge rate limit, never the WAF's refusal")
        return value
