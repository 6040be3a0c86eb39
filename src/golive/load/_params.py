"""Spec params of the load check types, and their translation into a :class:`LoadPlan`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from golive.kit.check import CheckContext, Params, is_full_url
from golive.load._model import AuthSpec, LoadPlan, RequestSpec, Stage
from golive.load._thresholds import Threshold, parse_threshold
from golive.spec._duration import Duration
from golive.spec.models import Objectives

if TYPE_CHECKING:
    from golive.load._resources import ResourceSpec


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RequestParam(_Strict):
    """One weighted request; ``{uuid}`` and ``{user}`` in path, body and headers are replaced."""

    name: str | None = Field(default=None, description="Name in reports [default: METHOD path].")
    method: str = "GET"
    path: str = Field(description="Path (joined to the base URL).")
    weight: int = Field(default=1, ge=1)
    headers: dict[str, str] = Field(default_factory=dict, description="${VAR} allowed.")
    json_body: Any = Field(default=None, alias="json", description="JSON body.")
    expect_status: list[int] = Field(
        default_factory=list, description="Statuses that count as success [default: < 400]."
    )


class AuthParam(_Strict):
    """A login every virtual user performs once (optionally after registering its account)."""

    path: str = "/auth/login"
    method: str = "POST"
    json_body: Any = Field(default=None, alias="json", description="Login body; ${VAR} allowed.")
    token_field: str = "access_token"
    header: str = "Authorization"
    prefix: str = "Bearer "
    register_path: str | None = None
    register_json: Any = None


class ThresholdParam(_Strict):
    """A threshold with options: per request name, abort the run when breached for ``window``."""

    threshold: str = Field(description="e.g. 'p95 < 300ms', 'error_rate < 1%', 'rps >= 200'.")
    request: str | None = Field(default=None, description="Only this request name.")
    abort_on_fail: bool = Field(default=False, description="Stop the load when breached for `window`.")
    window: Duration = Field(default=3.0, gt=0, description="Sustained window for abort_on_fail.")
    min_samples: int | None = Field(
        default=None,
        ge=1,
        description="Requests needed to judge it; fewer is no-data [default: p95 20, p99 100, else 1].",
    )

    @field_validator("threshold")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_threshold(value)
        return value

    def parsed(self) -> Threshold:
        """The threshold."""
        return parse_threshold(
            self.threshold,
            request=self.request,
            abort_on_fail=self.abort_on_fail,
            window_s=self.window,
            min_samples=self.min_samples,
        )


ThresholdItem = str | ThresholdParam


def _validate_thresholds(items: list[ThresholdItem]) -> list[ThresholdItem]:
    for item in items:
        if isinstance(item, str):
            parse_threshold(item)
    return items


def parse_thresholds(items: list[ThresholdItem]) -> tuple[Threshold, ...]:
    """Parsed thresholds from strings or objects."""
    return tuple(parse_threshold(i) if isinstance(i, str) else i.parsed() for i in items)


def objective_thresholds(objectives: Objectives) -> tuple[Threshold, ...]:
    """Thresholds from the spec's objectives (p95, p99, error rate), when none are given."""
    out = []
    if objectives.latency_p95_ms is not None:
        out.append(parse_threshold(f"p95 < {objectives.latency_p95_ms:g}ms"))
    if objectives.latency_p99_ms is not None:
        out.append(parse_threshold(f"p99 < {objectives.latency_p99_ms:g}ms"))
    if objectives.error_rate is not None:
        out.append(parse_threshold(f"error_rate < {objectives.error_rate:g}%"))
    return tuple(out)


class ResourceParam(_Strict):
    """A service metric to watch during the run (summed over series matching ``labels``)."""

    name: str = Field(description="Name in reports, e.g. db_connections.")
    metric: str = Field(description="Metric name on the service's /metrics.")
    labels: dict[str, str] = Field(default_factory=dict)
    limit: float | None = Field(default=None, gt=0, description="Saturation point, e.g. pool size.")
    unit: str = ""
    counter: bool = Field(default=False, description="A counter: watch its per-second rate.")

    def spec(self) -> ResourceSpec:
        """As a sampler spec."""
        from golive.load._resources import ResourceSpec  # the sampler's libraries load when a run needs them

        return ResourceSpec(
            name=self.name,
            metric=self.metric,
            labels=tuple(sorted(self.labels.items())),
            limit=self.limit,
            unit=self.unit,
            counter=self.counter,
        )


def target_uses_base_url(params: ScenarioParams) -> bool:
    """A load check sends to base_url unless its ``target`` is a full URL."""
    return not is_full_url(params.target)


class ScenarioParams(Params):
    """What load to send: weighted requests or a Locust user class file, users, pacing, limits."""

    target: str | None = Field(default=None, description="Base URL [default: the environment's].")
    requests: list[RequestParam] = Field(default_factory=list, description="Weighted requests.")
    locustfile: str | None = Field(default=None, description="Locust user class file (spec-relative).")
    user_classes: list[str] = Field(default_factory=list, description="Classes to use from it.")
    auth: AuthParam | None = None
    users: int = Field(default=10, ge=1, le=100_000, description="Concurrent virtual users.")
    ramp_up: Duration = Field(default=0.0, description="Time to start all users.")
    duration: Duration = Field(default=10.0, gt=0, description="How long the load lasts.")
    think_time: Duration | list[Duration] = Field(
        default=0.0, description="Pause between a user's requests: a duration or [min, max]."
    )
    rate_per_user: float | None = Field(
        default=None, gt=0, description="Requests/s each user aims for (instead of think_time)."
    )
    request_timeout: Duration = Field(default=10.0, gt=0)
    max_requests: int = Field(default=1_000_000, ge=1, description="Hard cap on requests sent.")
    workers: int = Field(default=0, ge=0, le=64, description="Locust worker processes on this machine.")
    external_workers: int = Field(
        default=0, ge=0, description="Wait for this many workers started elsewhere (see docs)."
    )
    master_bind: str = Field(default="127.0.0.1:0", description="host:port the master listens on.")
    metrics_path: str = Field(default="/metrics", description="Service metrics sampled during the run.")
    resources: list[ResourceParam] = Field(default_factory=list)
    cpu_limit: float = Field(default=1.0, gt=0, description="CPU cores the service may use.")

    @model_validator(mode="after")
    def _scenario(self) -> ScenarioParams:
        if bool(self.requests) == bool(self.locustfile):
            raise ValueError("give either requests or locustfile")
        if isinstance(self.think_time, list) and len(self.think_time) != 2:
            raise ValueError("think_time is a duration or [min, max]")
        return self

    def wait_range(self) -> tuple[float, float]:
        """Think time as (min, max) seconds."""
        if isinstance(self.think_time, list):
            return float(self.think_time[0]), float(self.think_time[1])
        return float(self.think_time), float(self.think_time)

    def workers_for(self, ctx: CheckContext) -> int:
        """Local workers: ``GOLIVE_LOAD_WORKERS`` from the environment, ``--load-workers``, the param."""
        from_env = ctx.environ.get("GOLIVE_LOAD_WORKERS")
        if from_env:
            return int(from_env)
        return ctx.load_workers if ctx.load_workers is not None else self.workers

    def build_plan(
        self,
        ctx: CheckContext,
        stages: tuple[Stage, ...],
        *,
        abort: tuple[Threshold, ...] = (),
        stop_when: tuple[Threshold, ...] = (),
        settle_s: float = 0.0,
        early_end_s: float | None = None,
    ) -> LoadPlan:
        """The engine plan for this scenario and the given stages."""
        host = ctx.url(self.target) if self.target else ctx.url("").rstrip("/")
        lo, hi = self.wait_range()
        requests = tuple(
            RequestSpec(
                name=r.name or f"{r.method.upper()} {r.path}",
                method=r.method.upper(),
                path=ctx.resolve(r.path),
                weight=r.weight,
                headers=tuple((k, ctx.resolve(v)) for k, v in r.headers.items()),
                json_body=_resolve_any(ctx, r.json_body),
                expect_status=tuple(r.expect_status),
            )
            for r in self.requests
        )
        auth = None
        if self.auth is not None:
            auth = AuthSpec(
                method=self.auth.method.upper(),
                path=self.auth.path,
                json_body=_resolve_any(ctx, self.auth.json_body),
                token_field=self.auth.token_field,
                header=self.auth.header,
                prefix=self.auth.prefix,
                register_path=self.auth.register_path,
                register_body=_resolve_any(ctx, self.auth.register_json),
            )
        return LoadPlan(
            host=host.rstrip("/"),
            stages=stages,
            requests=requests,
            locustfile=str(ctx.path(self.locustfile)) if self.locustfile else None,
            user_classes=tuple(self.user_classes),
            auth=auth,
            wait_min_s=lo,
            wait_max_s=hi,
            rate_per_user=self.rate_per_user,
            request_timeout_s=self.request_timeout,
            max_requests=self.max_requests,
            abort=abort,
            stop_when=stop_when,
            settle_s=settle_s,
            early_end_s=early_end_s,
            workers=self.workers_for(ctx),
            external_workers=self.external_workers,
            master_bind=self.master_bind,
        )

    def spawn_rate(self, users: int) -> float:
        """Users started per second: all at once, or spread over ``ramp_up``."""
        return float(users) if self.ramp_up <= 0 else max(0.1, users / self.ramp_up)


def _resolve_any(ctx: CheckContext, value: Any) -> Any:
    if isinstance(value, str):
        return ctx.resolve(value)
    if isinstance(value, dict):
        return {k: _resolve_any(ctx, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_any(ctx, v) for v in value]
    return value


class ThresholdsMixin(BaseModel):
    """``thresholds``: strings or objects; default from the spec's objectives."""

    thresholds: list[ThresholdItem] = Field(
        default_factory=list,
        description="k6-style thresholds [default: p95/p99/error_rate from objectives].",
    )

    @field_validator("thresholds")
    @classmethod
    def _check_thresholds(cls, value: list[ThresholdItem]) -> list[ThresholdItem]:
        return _validate_thresholds(value)

    def effective_thresholds(self, objectives: Objectives) -> tuple[Threshold, ...]:
        """The thresholds, or the objectives' when none are given."""
        return parse_thresholds(self.thresholds) if self.thresholds else objective_thresholds(objectives)


# -- the check types' own params --------------------------------------------------------------


class LoadTestParams(ScenarioParams, ThresholdsMixin):
    """Params of ``load.test``."""


class PlanParams(Params):
    """Inputs of the capacity plan written with a ``load.capacity`` result."""

    current_rps: float | None = Field(default=None, ge=0, description="Production traffic now, req/s.")
    current_rps_query: str | None = Field(
        default=None, description="PromQL giving production req/s (needs the environment's prometheus_url)."
    )
    growth: float = Field(default=3.0, gt=0)
    headroom: float = Field(default=30.0, ge=0, lt=100, description="Percent kept free.")
    unit_cost: float | None = Field(
        default=None, ge=0, description="Price of one instance per month (730 hours)."
    )
    instance_hour_price: float | None = Field(
        default=None, gt=0, description="Price of one instance per hour (instead of unit_cost)."
    )
    currency: str = "EUR"
    db_max_connections: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_price(self) -> PlanParams:
        if self.unit_cost is not None and self.instance_hour_price is not None:
            raise ValueError("give unit_cost (per instance-month) or instance_hour_price, not both")
        return self


class LoadCapacityParams(ScenarioParams, ThresholdsMixin):
    """Params of ``load.capacity``: step load from ``start_users`` to ``max_users``."""

    start_users: int = Field(default=5, ge=1)
    step_users: int = Field(default=5, ge=1)
    step_factor: float | None = Field(default=None, gt=1, description="Multiply users per step instead.")
    max_users: int = Field(default=100, ge=1)
    step_duration: Duration = Field(default=5.0, gt=0)
    settle: Duration = Field(default=1.0, ge=0, description="Start of each step left out of its stats.")
    min_step: Duration = Field(
        default=3.0,
        gt=0,
        description="A step ends early once this much of it (after settle) has passed and every SLO "
        "threshold has enough requests (n - 3*sqrt(n) >= the threshold's minimum); as long as "
        "step_duration or longer, every step runs in full.",
    )
    saturation: float = Field(default=85.0, gt=0, le=100, description="Percent of a limit = saturated.")
    min_rps: float | None = Field(default=None, gt=0, description="Fail when the knee is below this.")
    db_connections_resource: str = Field(default="db_connections")
    plan: PlanParams | None = None

    @model_validator(mode="after")
    def _steps(self) -> LoadCapacityParams:
        if self.max_users < self.start_users:
            raise ValueError("max_users must be >= start_users")
        if self.step_duration < self.settle + 2:
            raise ValueError(
                "step_duration must be at least settle + 2s (steps are measured in whole seconds)"
            )
        return self

    def step_users_list(self) -> list[int]:
        """Users of each step."""
        out: list[int] = []
        users = self.start_users
        while users <= self.max_users and len(out) < 50:
            out.append(users)
            users = math.ceil(users * self.step_factor) if self.step_factor else users + self.step_users
        return out


class LoadSoakParams(ScenarioParams, ThresholdsMixin):
    """Params of ``load.soak``: constant load; compare the first and last third of the run."""

    duration: Duration = Field(default=60.0, gt=0)
    max_memory_growth: float = Field(default=20.0, ge=0, description="Percent RSS growth allowed.")
    max_error_drift: float = Field(default=1.0, ge=0, description="Error-rate increase allowed, in points.")
    max_latency_drift: float = Field(default=50.0, ge=0, description="Percent p95 increase allowed.")


class LoadStressParams(ScenarioParams):
    """Params of ``load.stress``: overload, then a recovery period at low load."""

    users: int = Field(default=100, ge=1)
    recovery: Duration = Field(default=5.0, gt=0, description="Low-load period after the overload.")
    recovery_users: int | None = Field(default=None, ge=1, description="[default: users / 10]")
    max_latency: Duration = Field(
        default=2.0, gt=0, description="p95 above this under overload means requests pile up."
    )
    max_error_rate: float = Field(
        default=5.0, ge=0, le=100, description="Errors other than 429/503 allowed under overload, percent."
    )
    recovery_thresholds: list[str] = Field(
        default_factory=list, description="Must hold after the overload [default: objectives, else p95 < 1s]."
    )
    shed_statuses: list[int] = Field(default_factory=lambda: [429, 503])

    @model_validator(mode="after")
    def _parse(self) -> LoadStressParams:
        for t in self.recovery_thresholds:
            parse_threshold(t)
        return self

    def recovery_slo(self, objectives: Objectives) -> tuple[Threshold, ...]:
        """What must hold after the overload: the param, the objectives, else p95 < 1s, errors < 5%."""
        if self.recovery_thresholds:
            return parse_thresholds(list(self.recovery_thresholds))
        return objective_thresholds(objectives) or (
            parse_threshold("p95 < 1s"),
            parse_threshold("error_rate < 5%"),
        )


class DbQueriesParams(ScenarioParams):
    """Params of ``db.queries``: a load scenario plus what to report."""

    database_url: str | None = Field(default=None, description="[default: the environment's database_url]")
    top: int = Field(default=10, ge=1, le=100)
    large_table_rows: int = Field(
        default=10_000, ge=1, description="Seq scans on tables this big are flagged."
    )
    max_mean_ms: float | None = Field(
        default=None, gt=0, description="Fail when a query's mean is above this."
    )
    create_extension: bool = Field(default=False, description="Run CREATE EXTENSION if it is missing.")


class LoadCostParams(Params):
    """Params of ``load.cost``: a million requests at a needed ``load.capacity``'s knee, priced."""

    instance_hour_price: float = Field(gt=0, description="Price of one instance per hour.")
    currency: str = "EUR"
    max_cost_per_million: float = Field(gt=0, description="Budget: the most a million requests may cost.")
    headroom: float | None = Field(
        default=None,
        ge=0,
        lt=100,
        description="Percent of the knee kept free [default: the capacity criterion's plan, else 30].",
    )
    capacity: str | None = Field(
        default=None,
        description="Criterion id of the load.capacity to price (in needs) [default: the one in needs].",
    )
