"""Params of the testing check types, apart from the checks so validating a spec stays light."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, model_validator

from golive.kit.check import Params
from golive.spec._duration import Duration
from golive.testing._util import check_regex

_PYTEST_STRING = re.compile(r"(^|[\s/;&|(])(py\.test|pytest)(\s|$)")


def is_pytest(command: str | list[str]) -> bool:
    """True when the command runs pytest (``pytest``, ``py.test``, ``python -m pytest``)."""
    if isinstance(command, str):
        return bool(_PYTEST_STRING.search(command))
    names = [os.path.basename(a) for a in command]
    if names and names[0] in ("pytest", "py.test"):
        return True
    return any(names[i] == "-m" and names[i + 1] == "pytest" for i in range(len(names) - 1))


class SuiteParams(Params):
    """Params of the ``tests.suite`` check."""

    command: list[str] | str = Field(description="Test command: an argv list, or a string with shell: true.")
    shell: bool = Field(default=False, description="Run the string through /bin/sh -c.")
    cwd: str | None = Field(default=None, description="Working directory, relative to the spec.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment; ${VAR} allowed.")
    runner: Literal["auto", "pytest", "other"] = Field(
        default="auto",
        description="pytest: golive adds --junitxml and its marker plugin; auto detects pytest.",
    )
    junit: str | None = Field(
        default=None,
        description="JUnit XML file or glob the command writes (relative to cwd); not needed for pytest.",
    )
    critical_marker: str | None = Field(
        default=None,
        description="Marker/tag of critical tests (pytest marker, or a 'tags' property).",
    )
    critical_pattern: str | None = Field(
        default=None, description="Regex on 'classname::name' selecting critical tests."
    )
    min_tests: int = Field(default=1, ge=0, description="Fewest tests the suite must run.")
    min_critical: int | None = Field(
        default=None, ge=0, description="Fewest critical tests [default: 1 when a selector is set]."
    )
    min_pass_rate: float = Field(
        default=100.0, ge=0, le=100, description="Percent of non-skipped tests that must pass."
    )
    allow_skipped_critical: bool = Field(default=False, description="Tolerate skipped critical tests.")
    max_duration: Duration | None = Field(default=None, description="Wall-clock budget of the run.")
    retries: int = Field(default=0, ge=0, le=5, description="Re-runs of failed tests (flaky detection).")
    fail_on_flaky: bool = Field(default=False, description="Fail when a test passed only on retry.")
    expect_exit: int | None = Field(
        default=None,
        description="Also require this exit code of the first run (default: judge by JUnit).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SuiteParams:
        if isinstance(self.command, str) and not self.shell:
            raise ValueError("a string command runs through a shell: set shell: true or write an argv list")
        if isinstance(self.command, list) and not self.command:
            raise ValueError("command must not be empty")
        check_regex(self.critical_pattern)
        pytest = self.runner == "pytest" or (self.runner == "auto" and is_pytest(self.command))
        if not pytest and self.junit is None:
            raise ValueError("junit is required for runners other than pytest: where does the XML go?")
        return self


class PackageTarget(Params):
    """A critical package with its own thresholds."""

    name: str = Field(min_length=1, description="Package (shop.services) or path (shop/services).")
    min_line: float | None = Field(default=None, ge=0, le=100)
    min_branch: float | None = Field(default=None, ge=0, le=100)


class CoverageParams(Params):
    """Params of the ``tests.coverage`` check."""

    report: str = Field(default="coverage.xml", description="Cobertura XML, relative to the spec.")
    command: list[str] | str | None = Field(
        default=None,
        description="Optional command that writes the report first (e.g. coverage xml).",
    )
    shell: bool = False
    min_line: float = Field(default=80.0, ge=0, le=100, description="Overall line coverage, %.")
    min_branch: float | None = Field(default=None, ge=0, le=100, description="Branch coverage, %.")
    packages: list[PackageTarget] = Field(
        default_factory=list,
        description="Critical packages; thresholds default to the overall ones.",
    )
    max_age: Duration | None = Field(
        default=None, description="Fail when the report is older than this (a stale report)."
    )

    @model_validator(mode="after")
    def _shell_needs_string(self) -> CoverageParams:
        if isinstance(self.command, str) and not self.shell:
            raise ValueError("a string command runs through a shell: set shell: true")
        return self


DEFAULT_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)


Phase = Literal["examples", "coverage", "fuzzing", "stateful"]


ALL_PHASES: list[Phase] = ["examples", "coverage", "fuzzing", "stateful"]


class LoginAuth(Params):
    """Log in first and send the returned token as a bearer token."""

    path: str = Field(description="Login endpoint, e.g. /api/auth/login.")
    json_body: dict[str, str] = Field(alias="json", description="JSON body; ${VAR} allowed for credentials.")
    token_field: str = Field(default="access_token", description="Field holding the token.")


class AuthParams(Params):
    """How the fuzzer authenticates; exactly one of bearer, basic or login."""

    bearer: str | None = Field(default=None, description="A token, e.g. ${API_TOKEN}.")
    basic: dict[str, str] | None = Field(default=None, description="{username: ..., password: ${PASSWORD}}.")
    login: LoginAuth | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AuthParams:
        given = [x for x in (self.bearer, self.basic, self.login) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of bearer, basic or login")
        if self.basic is not None and set(self.basic) != {"username", "password"}:
            raise ValueError("basic needs username and password")
        return self


class ContractParams(Params):
    """Params of the ``api.contract`` check."""

    schema_: str | None = Field(
        default=None,
        alias="schema",
        description="OpenAPI URL, path on the service, or a file [default: openapi_path].",
    )
    base_url: str | None = Field(default=None, description="API base URL [default: environment].")
    checks: list[str] = Field(default_factory=lambda: list(DEFAULT_CHECKS))
    phases: list[Phase] = Field(
        default_factory=lambda: list(ALL_PHASES),
        description="stateful follows the API's links (declared or inferred).",
    )
    max_examples: int = Field(default=30, ge=1, le=10_000)
    max_response_time: Duration | None = Field(default=None, description="Per response.")
    seed: int | None = Field(default=1, description="Fixed seed: the same run every time.")
    workers: int = Field(default=1, ge=1, le=16)
    mode: Literal["all", "positive", "negative"] = "all"
    include_path_regex: str | None = None
    exclude_path_regex: str | None = None
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers; ${VAR} allowed.")
    auth: AuthParams | None = None
    request_timeout: Duration = Field(default=10.0, gt=0)
    rate_limit: str | None = Field(
        default=None,
        pattern=r"^(auto|\d+/\d*[smhd])$",
        description="Stay under the API's rate limit: '100/m', or 'auto' (honour Retry-After).",
    )

    @model_validator(mode="after")
    def _valid(self) -> ContractParams:
        check_regex(self.include_path_regex)
        check_regex(self.exclude_path_regex)
        if not self.checks:
            raise ValueError("checks must not be empty")
        return self
