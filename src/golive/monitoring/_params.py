"""Params of the monitoring family's check types, apart from the checks that use them.

Keeping the models here lets the spec loader validate a criterion without importing the
check's implementation (and its tools), and keeps the check modules free of import circles.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from golive.kit.check import Params
from golive.monitoring.base import SEVERITY_LABEL_VALUES, Severity
from golive.spec._duration import Duration

_METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"

Objective = Literal["availability", "latency_p95_ms", "latency_p99_ms", "error_rate"]
"""The spec objectives ``prometheus.query`` may compare with."""


class PrometheusConfigParams(Params):
    """Params of ``prometheus.config``."""

    config: str = Field(default="monitoring/prometheus.yml", description="Prometheus config file.")
    jobs: list[str] = Field(default_factory=list, description="Scrape jobs that must be present.")
    service_jobs: list[str] | None = Field(
        default=None,
        description="Scrape jobs of the service itself, whose committed targets must use a port "
        "the service declares (default: the job named like the spec's service).",
    )
    ports_from: list[str] | None = Field(
        default=None,
        description="Files (globs) that declare the service's ports: Dockerfiles (EXPOSE), compose "
        "files (ports, expose), Kubernetes manifests (Service port/targetPort, prometheus.io/port). "
        "Default: every such file below the spec's directory.",
    )
    service_ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(
        default_factory=list,
        description="Ports declared here in addition (e.g. a metrics port no manifest names).",
    )


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
    series: Literal["auto", "prometheus", "metrics", "off"] = Field(
        default="auto",
        description="Where every rule selector must match existing series: the environment's "
        "prometheus_url, the service's metrics_path, auto (Prometheus when the environment has "
        "one, else the service's metrics), or off (the summary then says it was not checked).",
    )
    metrics_path: str = Field(
        default="/metrics", description="The service's exposition, joined to base_url (series: metrics)."
    )
    failure_only: list[Annotated[str, StringConstraints(pattern=_METRIC_NAME)]] = Field(
        default_factory=list,
        description="Metrics that have series only when something fails (an error counter with no "
        "samples yet): accepted when an exposition declares them with # HELP/# TYPE lines.",
    )
    series_lookback: Duration = Field(
        default=3600.0, gt=0, description="A series seen in this window exists (Prometheus)."
    )
    settle: Duration = Field(
        default=20.0,
        ge=0,
        description="How long to wait for a Prometheus that just started to scrape every target "
        "once before a missing series is reported.",
    )


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


class TrafficParams(Params):
    """Requests golive sends to the service so that rates and error ratios have a denominator."""

    path: str = "/"
    method: str = Field(default="GET", pattern=r"^(GET|HEAD|POST)$")
    rps: float = Field(default=20.0, gt=0, le=500)


class PrometheusQueryParams(Params):
    """Params of ``prometheus.query``."""

    query: str = Field(description="PromQL instant query; ${VAR} allowed.")
    op: Literal[">=", ">", "<=", "<", "==", "!="] = ">="
    threshold: float | None = Field(default=None, description="Number to compare with.")
    objective: Objective | None = Field(
        default=None, description="Compare with this objective of the spec instead."
    )
    unit: str = ""
    wait_for_data: Duration = Field(
        default=0.0,
        ge=0,
        le=3600,
        description="How long to wait for the query to return data (a stack that just started, "
        "rates that need two scrapes); 0: ask once. Never a fail: no data is no-data.",
    )
    traffic: TrafficParams | None = Field(
        default=None,
        description="Requests golive sends to the service while it waits for data (needs "
        "wait_for_data); the summary says how many of the requests judged were golive's.",
    )

    @model_validator(mode="after")
    def _one_target(self) -> PrometheusQueryParams:
        if (self.threshold is None) == (self.objective is None):
            raise ValueError("give exactly one of threshold or objective")
        if self.traffic is not None and self.wait_for_data <= 0:
            raise ValueError("traffic needs wait_for_data: how long golive's requests may take to show")
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
    rules: list[str] | None = Field(
        default=None,
        description="Rule files (globs) whose page-worthy alerts are routed with their own labels; "
        "default: the files of the spec's prometheus.rules criteria; [] routes only the probes.",
    )


class GrafanaDashboardsParams(Params):
    """Params of ``grafana.dashboards``."""

    files: list[str] = Field(min_length=1, description="Dashboard JSON files (globs).")
    require_data: bool = Field(
        default=True, description="Every panel query must return data on the live Prometheus."
    )
    require_datasource_variable: bool = True
    variables: dict[str, str] = Field(
        default_factory=dict,
        description="Values for dashboard variables, e.g. {job: api} ($__all: All); otherwise a "
        "variable takes the value the dashboard opens with, its query asked of Prometheus.",
    )
    allow_empty: list[str] = Field(
        default_factory=list,
        description="Panels allowed to show no data: a panel title, or 'title/refId' for one query.",
    )
    require_every_query: bool = Field(
        default=False,
        description="Every query must return data, not only one query of each panel.",
    )
    scrape_interval: Duration | None = Field(
        default=None,
        gt=0,
        description="The Grafana data source's scrape interval, for $__rate_interval; default: "
        "the global scrape_interval Prometheus runs with.",
    )


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


class DrillParams(Params):
    """Params of the ``alert.drill`` check."""

    alert: str = Field(description="Name of the alert that must fire.")
    match_labels: dict[str, str] = Field(default_factory=dict, description="Extra labels to match.")
    fault: FaultParams
    traffic: TrafficParams | None = None
    baseline: Duration | None = Field(
        default=None,
        ge=0,
        le=600,
        description="With traffic: how long golive sends it before the fault while the alert "
        "must stay quiet (an alert that fires on traffic, not on the fault, fails); default: "
        "two scrape plus two evaluation intervals of the Prometheus; 0: no baseline.",
    )
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
