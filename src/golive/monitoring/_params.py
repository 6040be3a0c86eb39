"""Params of the monitoring family's check types, apart from the checks that use them.

Keeping the models here lets the spec loader validate a criterion without importing the
check's implementation (and its tools), and keeps the check modules free of import circles.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from golive.kit.check import Params
from golive.monitoring.base import SEVERITY_LABEL_VALUES, Severity
from golive.spec._duration import Duration

Objective = Literal["availability", "latency_p95_ms", "latency_p99_ms", "error_rate"]
"""The spec objectives ``prometheus.query`` may compare with."""


class PrometheusConfigParams(Params):
    """Params of ``prometheus.config``."""

    config: str = Field(default="monitoring/prometheus.yml", description="Prometheus config file.")
    jobs: list[str] = Field(default_factory=list, description="Scrape jobs that must be present.")


class PrometheusRulesParams(Params):
    """Params of ``prometheus.rules``."""

    files: list[str] = Field(min_length=1, description="Rule files (globs), relative to the spec.")
    tests: list[str] = Field(default_factory=list, description="promtool test files (globs).")
    runbook: str | None = Field(
        default=None, description="Markdown runbook: each runbook_url's #anchor must be a heading."
    )
    require_tests: list[Severity] = Field(
        default_factory=lambda: [Severity.P0],
        description="Severities whose alerts need a promtool test that expects them to fire.",
    )
    severity_label: str = "severity"
    severity_map: dict[str, Severity] = Field(
        default_factory=dict, description="Extra severity spellings, e.g. {sev1: P0}."
    )
    required_annotations: list[str] = Field(default_factory=lambda: ["summary", "runbook_url"])


class PrometheusTargetsParams(Params):
    """Params of ``prometheus.targets``."""

    jobs: list[str] = Field(min_length=1, description="Scrape jobs whose targets must all be up.")
    max_staleness: float = Field(
        default=2.0, gt=0, description="Last scrape at most this many scrape intervals ago."
    )
    settle: Duration = Field(
        default=20.0,
        ge=0,
        description="How long to wait for targets not yet discovered or scraped once "
        "(a Prometheus that just started); targets that are down are reported at once.",
    )


class PrometheusQueryParams(Params):
    """Params of ``prometheus.query``."""

    query: str = Field(description="PromQL instant query; ${VAR} allowed.")
    op: Literal[">=", ">", "<=", "<", "==", "!="] = ">="
    threshold: float | None = Field(default=None, description="Number to compare with.")
    objective: Objective | None = Field(
        default=None, description="Compare with this objective of the spec instead."
    )
    unit: str = ""

    @model_validator(mode="after")
    def _one_target(self) -> PrometheusQueryParams:
        if (self.threshold is None) == (self.objective is None):
            raise ValueError("give exactly one of threshold or objective")
        return self


class AlertmanagerRoutesParams(Params):
    """Params of ``alertmanager.routes``."""

    config: str = Field(default="monitoring/alertmanager.yml")
    label: str = Field(default="severity", description="The label that carries severity.")
    severity_values: dict[Severity, str] = Field(
        default_factory=lambda: dict(SEVERITY_LABEL_VALUES),
        description="Label value used for each severity class.",
    )
    extra_labels: dict[str, str] = Field(
        default_factory=dict, description="Labels every alert carries (team, service)."
    )
    page: list[Severity] = Field(
        default_factory=lambda: [Severity.P0],
        description="Severities that must reach a receiver that notifies someone.",
    )
    allow_silent: list[str] = Field(
        default_factory=list, description="Receivers allowed to notify nobody (e.g. 'null')."
    )


class GrafanaDashboardsParams(Params):
    """Params of ``grafana.dashboards``."""

    files: list[str] = Field(min_length=1, description="Dashboard JSON files (globs).")
    require_data: bool = Field(
        default=True, description="Every panel query must return data on the live Prometheus."
    )
    require_datasource_variable: bool = True
    variables: dict[str, str] = Field(
        default_factory=dict, description="Values for dashboard variables, e.g. {job: api}."
    )
    allow_empty: list[str] = Field(default_factory=list, description="Panel titles allowed to have no data.")


# ------------------------------------------------------------------------------ alert.drill


class LoginParams(Params):
    """Obtain a bearer token before an HTTP fault step."""

    path: str = Field(description="Login endpoint, joined to base_url.")
    json_body: dict[str, Any] = Field(alias="json", description="Credentials; ${VAR} allowed.")
    token_field: str = Field(default="access_token", description="Field of the JSON answer.")

    model_config = {**Params.model_config, "populate_by_name": True}


class HttpStepParams(Params):
    """An HTTP request that switches a fault on or off."""

    method: str = Field(default="POST", pattern=r"^(GET|POST|PUT|PATCH|DELETE)$")
    path: str = Field(description="Path joined to base_url, or a full URL.")
    headers: dict[str, str] = Field(default_factory=dict, description="${VAR} allowed.")
    json_body: Any = Field(default=None, alias="json")
    expect_status: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])
    login: LoginParams | None = None

    model_config = {**Params.model_config, "populate_by_name": True}


class StepParams(Params):
    """Either a command or an HTTP request."""

    command: list[str] | str | None = Field(default=None, description="argv, or a shell string.")
    shell: bool = False
    env: dict[str, str] = Field(default_factory=dict)
    http: HttpStepParams | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> StepParams:
        if (self.command is None) == (self.http is None):
            raise ValueError("give exactly one of command or http")
        if isinstance(self.command, str) and not self.shell:
            raise ValueError("a string command runs through a shell: set shell: true")
        return self


class FaultParams(Params):
    """How to switch the fault on and off."""

    description: str = Field(default="", description="What the fault does, for the report.")
    inject: StepParams
    remove: StepParams


class TrafficParams(Params):
    """Requests golive sends during the drill so that error ratios have a denominator."""

    path: str = "/"
    method: str = Field(default="GET", pattern=r"^(GET|HEAD|POST)$")
    rps: float = Field(default=20.0, gt=0, le=500)


class DrillParams(Params):
    """Params of the ``alert.drill`` check."""

    alert: str = Field(description="Name of the alert that must fire.")
    match_labels: dict[str, str] = Field(default_factory=dict, description="Extra labels to match.")
    fault: FaultParams
    traffic: TrafficParams | None = None
    webhook: str = Field(
        default="127.0.0.1:9095",
        description="host:port golive listens on; Alertmanager's receivers must post here.",
    )
    detect_within: Duration = Field(default=120.0, gt=0, description="Target time-to-detect.")
    notify_within: Duration = Field(default=180.0, gt=0, description="Target time-to-notify.")
    resolve_within: Duration = Field(
        default=300.0, ge=0, description="How long the alert may take to resolve; 0: don't wait."
    )
    poll_interval: Duration = Field(default=0.25, gt=0)
