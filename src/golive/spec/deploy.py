"""The ``deploy:`` section of golive.yaml as pydantic models (frozen, strict).

The spec model embeds :class:`DeployConfig`; the deploy family reads it from ``spec.deploy``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from golive.kit import CommandLine
from golive.kit.model import Frozen
from golive.spec._duration import Duration


class ReviewGate(Frozen):
    """The latest review of the target environment must be GO and recent."""

    enabled: bool = True
    max_age: Duration = Field(default=86400.0, gt=0, description="Oldest acceptable review.")
    run_must: bool = Field(
        default=False,
        description="When the stored review is missing, stale or NO-GO, run the must tier now "
        "and gate on that instead.",
    )


class AlertGate(Frozen):
    """No alert of a blocking severity may be firing in Prometheus."""

    enabled: bool = True
    severities: list[str] = Field(default_factory=lambda: ["P0", "critical", "page"])
    severity_label: str = "severity"
    prometheus_url: str | None = Field(
        default=None, description="Defaults to the environment's prometheus_url; no URL skips the gate."
    )


class ArtifactGate(Frozen):
    """A command that exits 0 when the version's artifact exists (``${VERSION}`` is set)."""

    command: CommandLine
    timeout: Duration = Field(default=60.0, gt=0)


class Gates(Frozen):
    """Pre-deploy gates; every enabled one must pass before anything changes."""

    review: ReviewGate = Field(default_factory=ReviewGate)
    alerts: AlertGate = Field(default_factory=AlertGate)
    artifact: ArtifactGate | None = None


class LocalDriverConfig(Frozen):
    """Processes on this machine behind a real nginx (weighted upstreams, reloads)."""

    type: Literal["local"]
    command: list[str] = Field(
        min_length=1,
        description="Starts one instance; ${PORT}, ${VERSION}, ${STATE_DIR} and ${GOLIVE_PYTHON} are set.",
    )
    cwd: str = "."
    env: dict[str, str] = Field(default_factory=dict, description="Environment of every instance.")
    port: int = Field(default=0, ge=0, le=65535, description="nginx's port on 127.0.0.1; 0 picks one.")
    health_path: str = "/healthz"
    start_timeout: Duration = Field(default=60.0, gt=0)
    drain: Duration = Field(default=1.0, ge=0, description="Wait after a reload before stopping an instance.")
    state_dir: str = Field(default=".golive/deploy", description="Relative to the spec's directory.")
    nginx: str = "/usr/sbin/nginx"


class CommandDriverConfig(Frozen):
    """Any deploy tool, as command lines (``${VERSION}`` and ``${PREVIOUS_VERSION}`` are set)."""

    type: Literal["command"]
    deploy: CommandLine
    rollback: CommandLine
    status: CommandLine | None = Field(
        default=None, description="Prints the running version on stdout (last line)."
    )
    env: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = Field(default=600.0, gt=0)


class KubernetesDriverConfig(Frozen):
    """kubectl against a cluster: set image (or apply), rollout status, rollout undo."""

    type: Literal["kubernetes"]
    kubectl: str = "kubectl"
    context: str | None = None
    namespace: str = "default"
    deployment: str = Field(min_length=1)
    container: str = Field(min_length=1)
    image: str = Field(min_length=1, description="Image reference; ${VERSION} is the version.")
    manifests: list[str] = Field(
        default_factory=list,
        description="Files applied (kubectl apply -f) before the image is set; relative to the spec.",
    )
    rollout_timeout: Duration = Field(default=300.0, gt=0)


DriverConfig = Annotated[
    LocalDriverConfig | CommandDriverConfig | KubernetesDriverConfig, Field(discriminator="type")
]

BUILTIN_METRICS = ("success-rate", "latency-p95", "saturation")
"""Metric names with a built-in query (see docs/deploy.md)."""


class Metric(Frozen):
    """One analysed metric with absolute thresholds and an allowed regression vs. the baseline."""

    name: str = Field(min_length=1)
    query: str | None = Field(
        default=None,
        description="PromQL; $selector, $window and $version are substituted. "
        "Built-in names have a default query.",
    )
    min: float | None = None
    max: float | None = None
    max_regression: float | None = Field(
        default=None,
        ge=0,
        description="How much worse than the stable version it may be, in the metric's unit.",
    )
    unit: str | None = None

    @model_validator(mode="after")
    def _usable(self) -> Metric:
        if self.query is None and self.name not in BUILTIN_METRICS:
            raise ValueError(f"metric {self.name!r} needs a query (built-ins: {', '.join(BUILTIN_METRICS)})")
        if self.min is None and self.max is None and self.max_regression is None:
            raise ValueError(f"metric {self.name!r} needs min, max or max_regression")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"metric {self.name!r}: min {self.min} > max {self.max}")
        return self

    @property
    def higher_is_better(self) -> bool:
        """Success rate: higher is better; latency, saturation: lower is better."""
        if self.min is not None and self.max is None:
            return True
        if self.max is not None and self.min is None:
            return False
        return self.name == "success-rate"


def _default_metrics() -> list[Metric]:
    return [Metric(name="success-rate", min=99.0), Metric(name="latency-p95", max=500.0)]


class Probe(Frozen):
    """Direct probes: HTTP requests golive sends itself (no Prometheus needed)."""

    path: str = "/healthz"
    requests: int = Field(default=10, ge=1, le=1000, description="Requests per measurement.")
    timeout: Duration = Field(default=2.0, gt=0)


class Analysis(Frozen):
    """Flagger/Argo-style analysis: ``count`` measurements ``interval`` apart."""

    provider: Literal["prometheus", "probe"] = "probe"
    prometheus_url: str | None = Field(default=None, description="Defaults to the environment's.")
    selector: str = Field(
        default='version="$version"', description="Label matchers that pick one version's series."
    )
    window: Duration = Field(default=30.0, gt=0, description="Range of rate() in the queries.")
    interval: Duration = Field(default=10.0, gt=0)
    count: int = Field(default=5, ge=1)
    failure_limit: int = Field(default=1, ge=0, description="Failed measurements tolerated.")
    initial_delay: Duration = Field(default=0.0, ge=0)
    no_data: Literal["fail", "pass"] = Field(
        default="fail", description="How a measurement without data counts."
    )
    metrics: list[Metric] = Field(default_factory=_default_metrics, min_length=1)
    probe: Probe = Field(default_factory=Probe)

    @model_validator(mode="after")
    def _probe_metrics(self) -> Analysis:
        if self.provider == "probe":
            for m in self.metrics:
                if m.name not in ("success-rate", "latency-p95"):
                    raise ValueError(
                        f"the probe provider measures success-rate and latency-p95 only, not {m.name!r}"
                    )
        return self


class Verify(Frozen):
    """How a new version is judged: health, smoke checks, then analysis."""

    health_path: str | None = Field(default=None, description="Defaults to the environment's.")
    health_timeout: Duration = Field(default=30.0, gt=0)
    smoke: list[str] = Field(
        default_factory=list, description="Criterion ids from golive.yaml run against the new version."
    )
    analysis: Analysis = Field(default_factory=Analysis)


class Canary(Frozen):
    """Traffic steps in percent; analysis runs at every step below 100."""

    steps: list[int] = Field(default_factory=lambda: [5, 25, 50, 100], min_length=1)

    @field_validator("steps")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(not 1 <= s <= 100 for s in value):
            raise ValueError("steps are percentages between 1 and 100")
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("steps must increase")
        return value if value[-1] == 100 else [*value, 100]


class BlueGreen(Frozen):
    """After the switch, watch the new version for ``grace`` with blue kept for an instant switch-back."""

    grace: Duration = Field(default=60.0, ge=0)
    keep_standby: bool = Field(
        default=True,
        description="Leave blue running after the deploy so `golive rollback` is instant "
        "(it is stopped by the next deploy).",
    )


class DeployConfig(Frozen):
    """The ``deploy:`` section."""

    strategy: Literal["rolling", "canary", "blue-green"] = "rolling"
    driver: DriverConfig
    gates: Gates = Field(default_factory=Gates)
    verify: Verify = Field(default_factory=Verify)
    canary: Canary = Field(default_factory=Canary)
    blue_green: BlueGreen = Field(default_factory=BlueGreen)
    timeout: Duration = Field(default=1800.0, gt=0, description="Whole deploy; rollback after it.")
    lock_ttl: Duration = Field(default=3600.0, gt=0)
