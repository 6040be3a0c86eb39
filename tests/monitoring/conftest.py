"""Fixtures of the monitoring tests: a fault-switchable app, its generated monitoring files,
and a real Prometheus + Alertmanager scraping it (one of each for the whole session)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.checks.base import CheckContext
from golive.monitoring import _stack
from golive.monitoring._generate import Settings, generate
from golive.monitoring._inventory import parse_exposition
from golive.results import Outcome
from golive.spec.models import Environment, Objectives
from tests.fixtures.monitoring_stack import faulty_app, local_stack
from tests.fixtures.servers import Server, free_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "monitoring"

needs_prometheus = pytest.mark.skipif(
    shutil.which("prometheus") is None or shutil.which("prometheus-alertmanager") is None,
    reason="prometheus / prometheus-alertmanager not installed (scripts/setup.sh installs them)",
)


def write_files(out: Path, files: dict[str, str]) -> Path:
    """Write generated files under ``out``."""
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return out


def run_check(
    check_cls: type[Any],
    params: dict[str, Any],
    *,
    workdir: Path,
    base_url: str = "http://127.0.0.1:9",
    prometheus_url: str | None = None,
    alertmanager_url: str | None = None,
    objectives: Objectives | None = None,
    timeout: float = 60.0,
    env_vars: dict[str, str] | None = None,
) -> Outcome:
    """Validate ``params`` like the spec loader does, then run the check to completion."""
    validated = check_cls.Params.model_validate(params)

    async def go() -> Outcome:
        async with httpx.AsyncClient() as client:
            ctx = make_ctx(
                client,
                workdir=workdir,
                base_url=base_url,
                prometheus_url=prometheus_url,
                alertmanager_url=alertmanager_url,
                objectives=objectives,
                timeout=timeout,
                env_vars=env_vars,
            )
            result: Outcome = await check_cls().run(validated, ctx)
            return result

    return asyncio.run(go())


def make_ctx(
    client: httpx.AsyncClient,
    *,
    workdir: Path,
    base_url: str = "http://127.0.0.1:9",
    prometheus_url: str | None = None,
    alertmanager_url: str | None = None,
    objectives: Objectives | None = None,
    timeout: float = 60.0,
    env_vars: dict[str, str] | None = None,
) -> CheckContext:
    """A CheckContext for one check run."""
    return CheckContext(
        criterion_id="mon.test",
        environment_name="test",
        environment=Environment(
            base_url=base_url,
            prometheus_url=prometheus_url,
            alertmanager_url=alertmanager_url,
            vars=env_vars or {},
        ),
        objectives=objectives or Objectives(availability=99.9, latency_p95_ms=500),
        workdir=workdir,
        artifacts_dir=workdir / ".artifacts",
        http=client,
        logger=logging.getLogger("golive.test"),
        timeout=timeout,
    )


@dataclass(frozen=True, kw_only=True)
class Live:
    """The session's running system: app, its monitoring dir, Prometheus and Alertmanager."""

    app: Server
    monitoring: Path
    stack: _stack.LocalStack
    webhook_port: int

    @property
    def prometheus_url(self) -> str:
        return self.stack.prometheus.url


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Poll ``predicate`` until true; fail the test on timeout."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def _has_series(prom: str, expr: str) -> bool:
    try:
        r = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=2)
        return bool(r.json()["data"]["result"])
    except (httpx.HTTPError, KeyError, ValueError):
        return False


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The fixture app with generated monitoring, scraped by real Prometheus every second."""
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus not installed")
    tmp = tmp_path_factory.mktemp("monitoring-live")
    with faulty_app(tmp) as app:
        httpx.get(app.url + "/products")
        httpx.post(app.url + "/orders")
        inventory = parse_exposition(httpx.get(app.url + "/metrics").text)
        target = f"127.0.0.1:{app.port}"
        generated = generate(
            Settings(service="faulty", target=target, latency_p99_ms=1000), inventory
        )
        monitoring = write_files(tmp / "monitoring", dict(generated.files))
        webhook_port = free_port()
        with local_stack(
            monitoring, tmp / "stack", targets={"faulty": [target]}, webhook_port=webhook_port
        ) as stack:
            prom = stack.prometheus.url
            # Rates need two scrapes; dashboards need the recording rules to have run.
            for _ in range(3):
                httpx.get(app.url + "/products")
            wait_until(
                lambda: _has_series(prom, 'job:slo_errors_per_request:ratio_rate5m{job="faulty"}'),
                30,
                "the first SLO recording",
            )
            yield Live(app=app, monitoring=monitoring, stack=stack, webhook_port=webhook_port)
