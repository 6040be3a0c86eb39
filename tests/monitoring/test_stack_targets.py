"""The local stack scrapes the committed targets: only explicitly mapped addresses change.

A review that rewrote scrape targets tested a config other than the one that ships: a wrong
port in the committed prometheus.yml passed. Here the fixture service is ledger's exposition
on a free loopback port, scraped by the real Prometheus the stack starts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from golive.monitoring._stack import local_prometheus_config
from golive.monitoring.base import MonitoringError
from golive.monitoring.checks import PrometheusTargetsCheck
from golive.results import Status
from tests.fixtures.monitoring_stack import local_stack
from tests.fixtures.servers import free_port
from tests.monitoring.conftest import (
    FIXTURES,
    needs_prometheus,
    run_check,
    scraping_prometheus,
    serve_exposition,
)

COMMITTED = {
    "global": {"scrape_interval": "30s"},
    "scrape_configs": [
        {"job_name": "ledger", "static_configs": [{"targets": ["10.0.0.1:9102", "10.0.0.2:9102"]}]},
        {"job_name": "batch", "file_sd_configs": [{"files": ["targets/*.json"]}]},
    ],
}


def _targets(config: dict[str, object], job: str) -> list[str]:
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}  # type: ignore[attr-defined]
    return [t for sc in jobs[job].get("static_configs", []) for t in sc["targets"]]


def test_only_mapped_addresses_change(tmp_path: Path) -> None:
    unused: list[str] = []
    local = local_prometheus_config(
        COMMITTED,
        tmp_path,
        addresses={"10.0.0.1:9102": "127.0.0.1:18001", "10.0.0.9:9102": "127.0.0.1:18009"},
        targets={"batch": ["127.0.0.1:18100"]},
        alertmanager=None,
        unused=unused,
    )
    assert _targets(local, "ledger") == ["127.0.0.1:18001", "10.0.0.2:9102"]
    assert _targets(local, "batch") == ["127.0.0.1:18100"]
    assert unused == ["10.0.0.9:9102"]


def test_replacing_a_jobs_committed_targets_is_refused(tmp_path: Path) -> None:
    """Regression: ``--target JOB=ADDR`` replaced the committed targets, hiding a wrong port."""
    with pytest.raises(
        MonitoringError, match=r"job ledger has committed targets \(10.0.0.1:9102, 10.0.0.2:9102\)"
    ):
        local_prometheus_config(
            COMMITTED, tmp_path, targets={"ledger": ["127.0.0.1:18001"]}, alertmanager=None
        )


def _monitoring(tmp: Path, target: str) -> Path:
    out = tmp / "monitoring"
    out.mkdir()
    (out / "prometheus.yml").write_text(
        "global: {scrape_interval: 15s}\nscrape_configs:\n"
        f"  - job_name: ledger\n    static_configs: [{{targets: ['{target}']}}]\n"
        "  - job_name: prometheus\n    static_configs: [{targets: ['127.0.0.1:9090']}]\n"
    )
    (out / "alertmanager.yml").write_text(
        "route: {receiver: page}\nreceivers:\n  - name: page\n"
        "    webhook_configs: [{url: 'http://127.0.0.1:9/page'}]\n"
    )
    return out


@needs_prometheus
@pytest.mark.parametrize("typo", [False, True], ids=["committed-port", "wrong-committed-port"])
def test_review_scrapes_the_committed_port(tmp_path: Path, typo: bool) -> None:
    ships = f"127.0.0.1:{free_port()}"  # where the committed file says the service runs
    committed = f"127.0.0.1:{free_port()}" if typo else ships
    with serve_exposition((FIXTURES / "ledger" / "metrics.txt").read_text()) as service:
        monitoring = _monitoring(tmp_path, committed)
        with local_stack(
            monitoring, tmp_path / "stack", addresses={ships: service.address}, webhook_port=free_port()
        ) as stack:
            out = run_check(
                PrometheusTargetsCheck,
                {"jobs": ["ledger", "prometheus"], "settle": "15s"},
                workdir=tmp_path,
                prometheus_url=stack.prometheus.url,
            )
    if not typo:
        assert out.status is Status.PASS, out.summary
        assert stack.notes == (f"scraping {ships} at {service.address} (mapped)",)
        return
    assert out.status is Status.FAIL
    assert f"ledger target {committed} is down" in out.summary
    assert stack.notes == (f"--map {ships}: no committed target has this address; nothing was mapped",)


@needs_prometheus
def test_target_up_with_an_empty_exposition_fails(tmp_path: Path) -> None:
    """Regression: a /metrics answering 200 with nothing was 'up and fresh'."""
    with (
        serve_exposition("") as service,
        scraping_prometheus(tmp_path, {"ledger": [service.address]}) as prom,
    ):
        out = run_check(PrometheusTargetsCheck, {"jobs": ["ledger"]}, workdir=tmp_path, prometheus_url=prom)
    assert out.status is Status.FAIL
    assert f"ledger target {service.address} is up but its last scrape returned no sample" in out.summary
