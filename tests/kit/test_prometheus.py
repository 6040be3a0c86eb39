"""The one Prometheus client, against a real Prometheus started for the test."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator

import httpx
import pytest

from golive.kit.processes import ManagedProcess, free_port, http_probe
from golive.kit.prometheus import PrometheusClient, PrometheusQueryError, PrometheusUnreachable

pytestmark = pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus is not installed")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("prom")
    port = free_port()
    (tmp / "rules.yml").write_text(
        "groups:\n- name: g\n  interval: 1s\n  rules:\n"
        "  - record: job:up:sum\n    expr: sum by (job) (up)\n"
        "  - alert: AlwaysFiring\n    expr: vector(1)\n    labels: {severity: page}\n"
    )
    (tmp / "prometheus.yml").write_text(
        f"global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [{tmp / 'rules.yml'}]\n"
        f"scrape_configs:\n- job_name: self\n  static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
    )
    proc = ManagedProcess.start(
        [
            "prometheus",
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log=tmp / "prometheus.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(proc.wait_healthy(http_probe(url + "/-/ready"), timeout=30))
        yield url
    finally:
        proc.stop_sync()


async def _until(predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.2)


def test_queries_targets_rules_alerts_and_config(prometheus: str) -> None:
    async def go() -> None:
        async with httpx.AsyncClient() as http:
            client = PrometheusClient(http, prometheus)
            assert await client.ready()
            up = await _until(lambda: client.query('up{job="self"}'))
            assert up and up[0].value == 1.0 and up[0].labels["job"] == "self"
            assert await client.query_value("vector(2)") == 2.0
            assert await client.query_value("absent(up)") is None
            targets = await client.targets()
            assert targets[0].job == "self" and targets[0].scrape_interval_s == 1.0
            rules = await client.rules()
            assert {(r.name, r.kind) for r in rules} == {("job:up:sum", "record"), ("AlwaysFiring", "alert")}
            alerts = await _until(client.alerts)
            assert alerts[0].name == "AlwaysFiring"
            assert "scrape_interval: 1s" in await client.config()
            now = time.time()
            series = await client.query_range("up", start=now - 5, end=now, step=1)
            assert series and series[0].points
            assert any(s.get("job") == "self" for s in await client.series("up"))

    asyncio.run(go())


def test_typed_errors(prometheus: str) -> None:
    async def go() -> None:
        async with httpx.AsyncClient() as http:
            with pytest.raises(PrometheusQueryError, match="bad_data"):
                await PrometheusClient(http, prometheus).query("sum(")
            with pytest.raises(PrometheusQueryError, match="returned 2 series"):
                await PrometheusClient(http, prometheus).query_value(
                    'vector(1) or label_replace(vector(2), "a", "x", "", "")'
                )
            with pytest.raises(PrometheusUnreachable, match="unreachable"):
                await PrometheusClient(http, f"http://127.0.0.1:{free_port()}").query("up")

    asyncio.run(go())
