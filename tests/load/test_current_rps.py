"""The capacity plan's current traffic, asked of a real Prometheus through the environment."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from golive.load._capacity_check import _current_rps
from golive.load._params import PlanParams
from tests.fixtures.servers import Server, free_port, server_process
from tests.load.conftest import make_ctx

pytestmark = pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus binary")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A Prometheus with no targets: constant expressions are all it can answer."""
    tmp = tmp_path_factory.mktemp("prometheus")
    config = tmp / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\n")
    port = free_port()
    argv = [
        "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with server_process(argv, port=port, log=tmp / "prometheus.log", health_path="/-/ready") as server:
        yield server


def current_rps(prometheus_url: str, query: str, caplog: pytest.LogCaptureFixture) -> float | None:
    """The plan's current req/s, with the environment's prometheus_url given as ``${PROM_URL}``."""

    async def main() -> float | None:
        async with httpx.AsyncClient() as client:
            ctx = make_ctx(
                client, workdir=Path("."), base_url="http://127.0.0.1:9", environ={"PROM_URL": prometheus_url}
            )
            env = ctx.environment.model_copy(update={"prometheus_url": "${PROM_URL}"})
            return await _current_rps(
                PlanParams(current_rps_query=query), dataclasses.replace(ctx, environment=env)
            )

    with caplog.at_level(logging.WARNING):
        return asyncio.run(main())


def test_current_rps_from_prometheus(prometheus: Server, caplog: pytest.LogCaptureFixture) -> None:
    assert current_rps(prometheus.url, "vector(42.5)", caplog) == 42.5
    # No series: no traffic.
    assert current_rps(prometheus.url, 'up{job="nothing"}', caplog) == 0.0


def test_current_rps_problems_leave_the_plan_out(
    prometheus: Server, caplog: pytest.LogCaptureFixture
) -> None:
    two = 'vector(1) or label_replace(vector(2), "instance", "b", "", "")'
    assert current_rps(prometheus.url, two, caplog) is None
    assert "returned 2 series" in caplog.text
    assert current_rps(prometheus.url, "sum(", caplog) is None
    assert "bad_data" in caplog.text
    assert current_rps(f"http://127.0.0.1:{free_port()}", "vector(1)", caplog) is None
    assert "unreachable" in caplog.text
