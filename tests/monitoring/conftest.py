"""Fixtures of the monitoring tests: a fault-switchable app, its generated monitoring files,
and a real Prometheus + Alertmanager scraping it (one of each for the whole session)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.kit.check import CheckContext
from golive.monitoring import _stack
from golive.monitoring._generate import Settings, generate
from golive.monitoring._inventory import parse_exposition
from golive.monitoring._yaml import dump_yaml
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
    artifacts_dir: Path | None = None,
) -> Outcome:
    """Validate ``params`` like the spec loader does, then run the check to completion.

    Artifacts go to ``artifacts_dir`` when the test reads them, else to a temporary directory
    removed afterwards (never inside workdir: tests run checks on examples/storefront too).
    """
    validated = check_cls.Params.model_validate(params)

    async def go() -> Outcome:
        if artifacts_dir is not None:
            return await run(artifacts_dir)
        with tempfile.TemporaryDirectory(prefix="golive-mon-artifacts-") as artifacts:
            return await run(Path(artifacts))

    async def run(artifacts: Path) -> Outcome:
        async with httpx.AsyncClient() as client:
            ctx = make_ctx(
                client,
                workdir=workdir,
                artifacts_dir=artifacts,
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
    artifacts_dir: Path,
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
        artifacts_dir=artifacts_dir,
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
    readiness_port: int

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


DRILL_RULES = """groups:
  - name: drill.rules
    rules:
      - alert: FaultyErrorsNow
        expr: sum by (job) (rate(http_requests_total{job="faulty",status=~"5.."}[3s])) > 0
        labels:
          severity: critical
        annotations:
          summary: faulty answers 5xx right now
          runbook_url: runbook.md#faultyerrorsnow
      - alert: FaultyNeverFires
        expr: sum by (job) (rate(http_requests_total{job="faulty",status="599"}[3s])) > 0
        labels:
          severity: critical
        annotations:
          summary: never
          runbook_url: runbook.md#faultyneverfires
"""


def _traffic(url: str, stop: threading.Event) -> None:
    with httpx.Client() as client:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                client.get(url + "/products", timeout=2)
            stop.wait(0.2)


@contextlib.contextmanager
def _readiness_server(port: int, report: Path) -> Iterator[None]:
    from http.server import ThreadingHTTPServer

    from golive.monitoring.cli import _readiness_handler

    server = ThreadingHTTPServer(("127.0.0.1", port), _readiness_handler(report))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The fixture app with generated monitoring, scraped by real Prometheus every second.

    Background traffic (5 rps) keeps rates defined; golive readiness metrics of a sample
    review are served for the readiness dashboard; ``drill.rules.yml`` adds fast alerts.
    """
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus not installed")
    from golive.monitoring.readiness import render_prometheus
    from tests.fixtures.reporters.reviews import make_review

    tmp = tmp_path_factory.mktemp("monitoring-live")
    report = tmp / "readiness-report.prom"
    report.write_text(render_prometheus(dataclasses.replace(make_review(), service="faulty")))
    readiness_port = free_port()
    with faulty_app(tmp) as app:
        httpx.get(app.url + "/products")
        httpx.post(app.url + "/orders")
        inventory = parse_exposition(httpx.get(app.url + "/metrics").text)
        target = f"127.0.0.1:{app.port}"
        generated = generate(
            Settings(
                service="faulty",
                target=target,
                latency_p99_ms=1000,
                readiness_address=f"127.0.0.1:{readiness_port}",
            ),
            inventory,
        )
        monitoring = write_files(tmp / "monitoring", dict(generated.files))
        (monitoring / "rules" / "drill.rules.yml").write_text(DRILL_RULES)
        webhook_port = free_port()
        stop = threading.Event()
        traffic = threading.Thread(target=_traffic, args=(app.url, stop), daemon=True)
        traffic.start()
        try:
            with (
                _readiness_server(readiness_port, report),
                local_stack(monitoring, tmp / "stack", webhook_port=webhook_port) as stack,
            ):
                prom = stack.prometheus.url
                wait_until(
                    lambda: (
                        _has_series(prom, 'job:slo_errors_per_request:ratio_rate5m{job="faulty"} >= 0')
                        and _has_series(prom, "golive_readiness_percent")
                    ),
                    30,
                    "the first SLO recording and readiness scrape",
                )
                yield Live(
                    app=app,
                    monitoring=monitoring,
                    stack=stack,
                    webhook_port=webhook_port,
                    readiness_port=readiness_port,
                )
        finally:
            stop.set()
            traffic.join(5)


@dataclass(kw_only=True)
class Exposition:
    """A real HTTP server answering ``/metrics`` with ``text`` (which a test may change)."""

    text: str
    url: str = ""

    @property
    def address(self) -> str:
        return self.url.removeprefix("http://")


@contextlib.contextmanager
def serve_exposition(text: str) -> Iterator[Exposition]:
    """Serve ``text`` as a service's ``/metrics`` (and ``/healthz``) on a free loopback port."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    exposition = Exposition(text=text)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            body = exposition.text.encode() if path == "/metrics" else b"ok"
            self.send_response(200 if path in ("/metrics", "/healthz") else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    exposition.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield exposition
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def scraping_prometheus(tmp: Path, jobs: dict[str, list[str]]) -> Iterator[str]:
    """A real Prometheus scraping ``jobs`` (name → addresses) every second; yields its URL."""
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": targets}]} for job, targets in jobs.items()
        ],
    }
    path = tmp / "prometheus-scrape.yml"
    path.write_text(dump_yaml(config))
    running = _stack.start_prometheus(path, tmp)
    try:
        yield running.url
    finally:
        running.stop()
