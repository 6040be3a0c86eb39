"""golive's own traffic: prometheus.query waits for data with it; the alert drill's baseline.

A fresh fixture service nobody has sent a request to, scraped every second by a real
Prometheus: its availability query has no data until requests arrive (the ``--only monitoring``
situation: nothing else in the review sends any).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.kit.processes import ManagedProcess, free_port, http_probe
from golive.monitoring.checks import AlertDrillCheck, PrometheusQueryCheck
from golive.results import Outcome, Status
from tests.fixtures.monitoring_stack import ADMIN_TOKEN, faulty_app
from tests.fixtures.servers import Server
from tests.monitoring.conftest import run_check, wait_until

pytestmark = pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus missing")

PRODUCTS = 'http_requests_total{job="fresh",route="/products"}'
AVAILABILITY = (
    f'100 * (1 - ((sum(rate({PRODUCTS[:-1]},status=~"5.."}}[3s])) or vector(0)) / sum(rate({PRODUCTS}[3s]))))'
)


#: An alert that watches traffic instead of errors (the 5xx matcher was forgotten), and the
#: correct one; both on ``GET /``, which only the drill tests request.
TRAFFIC_RULES = """groups:
  - name: drill
    rules:
      - alert: RootErrorsForgotMatcher
        expr: sum(rate(http_requests_total{job="fresh",route="/"}[3s])) > 0
        labels: {severity: critical}
      - alert: RootErrors
        expr: sum(rate(http_requests_total{job="fresh",route="/",status=~"5.."}[3s])) > 0
        labels: {severity: critical}
"""


@dataclass(frozen=True, kw_only=True)
class Fresh:
    app: Server
    prometheus: str


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fresh]:
    tmp = tmp_path_factory.mktemp("fresh")
    with faulty_app(tmp) as app:
        port = free_port()
        config = tmp / "prometheus.yml"
        (tmp / "rules.yml").write_text(TRAFFIC_RULES)
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: [{tmp / 'rules.yml'}]\n"
            "scrape_configs:\n"
            f"  - job_name: fresh\n    static_configs: [{{targets: ['127.0.0.1:{app.port}']}}]\n"
        )
        proc = ManagedProcess.start(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            log=tmp / "prometheus.log",
        )
        url = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(proc.wait_healthy(http_probe(url + "/-/ready"), timeout=30))
            yield Fresh(app=app, prometheus=url)
        finally:
            proc.stop_sync()


def _has_number(prometheus: str) -> bool:
    result = httpx.get(f"{prometheus}/api/v1/query", params={"query": AVAILABILITY}).json()["data"]["result"]
    return any(item["value"][1] != "NaN" for item in result)


def query(fresh: Fresh, tmp_path: Path, **params: Any) -> Outcome:
    return run_check(
        PrometheusQueryCheck,
        {"query": AVAILABILITY, "threshold": 99, "unit": "%", **params},
        workdir=tmp_path,
        base_url=fresh.app.url,
        prometheus_url=fresh.prometheus,
    )


def test_no_request_yet_is_no_data_saying_what_the_check_needs(fresh: Fresh, tmp_path: Path) -> None:
    once = query(fresh, tmp_path)
    assert once.status is Status.NO_DATA
    assert "it needs series in Prometheus" in once.summary and "traffic: {path: ...}" in once.summary
    waited = query(fresh, tmp_path, wait_for_data="2s")
    assert waited.status is Status.NO_DATA
    assert waited.summary.startswith("query returned no data after waiting 2 s: ")
    assert waited.summary.endswith(
        "if nothing sends requests to the service, give the check traffic: {path: ...}"
    )


def test_golive_traffic_gives_the_query_its_data_and_says_so(fresh: Fresh, tmp_path: Path) -> None:
    out = query(fresh, tmp_path, wait_for_data="30s", traffic={"path": "/products", "rps": 10})
    assert out.status is Status.PASS, out.summary
    assert " = 100 % >= 99 (data after " in out.summary
    assert "golive sent " in out.summary and "GET /products (" in out.summary and " 2xx)" in out.summary
    measured = {m.name: m.value for m in out.measurements}
    assert 0 < measured["waited_for_data"] <= 30 and measured["golive_requests"] > 0


def test_golive_traffic_shows_a_broken_service_as_failing(fresh: Fresh, tmp_path: Path) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    httpx.post(fresh.app.url + "/admin/faults", json={"error_rate": 1.0}, headers=admin).raise_for_status()
    try:
        # The previous test's requests leave the 3 s window first: only the broken service counts.
        wait_until(lambda: not _has_number(fresh.prometheus), 20, "the previous traffic to age out")
        out = query(fresh, tmp_path, wait_for_data="30s", traffic={"path": "/products", "rps": 10})
    finally:
        httpx.delete(fresh.app.url + "/admin/faults", headers=admin).raise_for_status()
    assert out.status is Status.FAIL, out.summary
    assert "1/1 series fail >= 99" in out.summary and " 5xx)" in out.summary


def test_data_that_never_comes_despite_traffic_is_no_data_not_fail(fresh: Fresh, tmp_path: Path) -> None:
    out = run_check(
        PrometheusQueryCheck,
        {
            "query": 'sum(rate(http_requests_total{job="elsewhere"}[3s]))',
            "threshold": 0,
            "wait_for_data": "2s",
            "traffic": {"path": "/products", "rps": 10},
        },
        workdir=tmp_path,
        base_url=fresh.app.url,
        prometheus_url=fresh.prometheus,
    )
    assert out.status is Status.NO_DATA
    assert "after waiting 2 s; golive sent" in out.summary
    assert out.summary.endswith(
        "check that Prometheus scrapes the service and loads the rules the query reads"
    )


def test_traffic_is_refused_outside_loopback_before_any_request(tmp_path: Path) -> None:
    from golive.kit.check import CheckError

    with pytest.raises(CheckError, match="traffic"):
        run_check(
            PrometheusQueryCheck,
            {"query": "vector(1)", "threshold": 0, "wait_for_data": "2s", "traffic": {"path": "/"}},
            workdir=tmp_path,
            base_url="http://192.0.2.10:8080",
            prometheus_url="http://127.0.0.1:9",
        )


def drill(fresh: Fresh, tmp_path: Path, alert: str, **extra: Any) -> Outcome:
    step = {"command": ["true"]}
    return run_check(
        AlertDrillCheck,
        {
            "alert": alert,
            "fault": {"description": "nothing: the baseline decides", "inject": step, "remove": step},
            "traffic": {"path": "/", "rps": 10},
            "webhook": f"127.0.0.1:{free_port()}",
            "detect_within": "3s",
            "notify_within": "3s",
            "resolve_within": 0,
            **extra,
        },
        workdir=tmp_path,
        base_url=fresh.app.url,
        prometheus_url=fresh.prometheus,
    )


def test_drill_fails_an_alert_that_fires_on_golives_traffic_before_any_fault(
    fresh: Fresh, tmp_path: Path
) -> None:
    """The drill's traffic starts with the fault: without a quiet baseline, an alert on all
    requests instead of errors would 'detect' the fault."""
    out = drill(fresh, tmp_path, "RootErrorsForgotMatcher")
    assert out.status is Status.FAIL, out.summary
    assert out.summary.startswith(
        "alert RootErrorsForgotMatcher went firing under golive's healthy traffic before any fault "
        "(golive sent "
    )
    assert "in 4s): it fires on traffic, not on the fault" in out.summary  # 2 × (1 s scrape + 1 s eval)
    quiet(fresh, "RootErrorsForgotMatcher")


def test_drill_baseline_lets_a_quiet_alert_through_to_the_fault(fresh: Fresh, tmp_path: Path) -> None:
    # The fault here does nothing, so the correct alert never fires: the drill fails on
    # detection, not on the baseline.
    out = drill(fresh, tmp_path, "RootErrors", baseline="2s")
    assert out.status is Status.FAIL
    assert out.summary.startswith("alert RootErrors never fired in Prometheus within 3s of the fault")


def quiet(fresh: Fresh, alert: str) -> None:
    def resolved() -> bool:
        alerts = httpx.get(f"{fresh.prometheus}/api/v1/alerts").json()["data"]["alerts"]
        return not any(a["labels"]["alertname"] == alert for a in alerts)

    wait_until(resolved, 30, f"{alert} to resolve")
