"""examples/storefront/monitoring: the committed output of `golive init monitoring`.

Static checks run on the committed files; the live test starts storefront (with its admin
fault switch enabled), a real Prometheus and Alertmanager from those files, and drills the
SLO fast-burn page end to end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from golive.monitoring._drill import AlertDrillCheck
from golive.monitoring._generate import Settings, generate
from golive.monitoring._inventory import parse_exposition
from golive.monitoring.checks import (
    AlertmanagerRoutesCheck,
    GrafanaDashboardsCheck,
    PrometheusConfigCheck,
    PrometheusRulesCheck,
    PrometheusTargetsCheck,
)
from golive.results import Status
from tests.fixtures.monitoring_stack import local_stack
from tests.fixtures.servers import STOREFRONT, free_port, storefront
from tests.monitoring.conftest import FIXTURES, needs_prometheus, run_check, serve_exposition, wait_until

MONITORING = STOREFRONT / "monitoring"

needs_tools = pytest.mark.skipif(
    shutil.which("promtool") is None or shutil.which("amtool") is None,
    reason="promtool/amtool missing",
)


def test_committed_files_are_what_init_generates() -> None:
    """Re-running the generator on storefront's recorded /metrics changes nothing."""
    inventory = parse_exposition((FIXTURES / "storefront-metrics.txt").read_text())
    files = generate(
        Settings(
            service="storefront",
            target="127.0.0.1:8000",
            availability=99.9,
            latency_p95_ms=300,
            latency_p99_ms=800,
            error_rate=1,
            readiness_address="127.0.0.1:9109",
        ),
        inventory,
    ).files
    for rel, text in files.items():
        assert (MONITORING / rel).read_text() == text, f"{rel} differs: re-run golive init"


@needs_tools
@pytest.mark.parametrize(
    ("check", "params"),
    [
        (PrometheusConfigCheck, {"config": "monitoring/prometheus.yml", "jobs": ["storefront"]}),
        (
            PrometheusRulesCheck,
            {
                "files": ["monitoring/rules/*.rules.yml"],
                "tests": ["monitoring/rules/*.test.yml"],
                "runbook": "monitoring/runbook.md",
            },
        ),
        (AlertmanagerRoutesCheck, {"config": "monitoring/alertmanager.yml"}),
        (GrafanaDashboardsCheck, {"files": ["monitoring/dashboards/*.json"], "require_data": False}),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_static_checks_pass(check: type, params: dict[str, object]) -> None:
    # The rules' selectors are matched against storefront's recorded /metrics.
    with serve_exposition((FIXTURES / "storefront-metrics.txt").read_text()) as service:
        out = run_check(check, params, workdir=STOREFRONT, base_url=service.url)
    assert out.status is Status.PASS, out.evidence.excerpt


ADMIN_PASSWORD = "drill-" + os.urandom(6).hex()


@contextlib.contextmanager
def _storefront_with_admin(tmp: Path) -> Iterator[str]:
    db = f"sqlite:///{tmp / 'sf.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": db,
        "AUTO_MIGRATE": "true",
        "ADMIN_EMAIL": "admin@example.com",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PASSWORD_HASH_FAST": "true",
    }
    subprocess.run(
        [sys.executable, "-m", "storefront", "seed", "--products", "5"],
        cwd=STOREFRONT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    extra = {
        "FAULT_INJECTION_ENABLED": "true",
        "ADMIN_EMAIL": "admin@example.com",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    with storefront(tmp, env=extra, database_url=db) as server:
        yield server.url


def _traffic(url: str, stop: threading.Event) -> None:
    with httpx.Client() as client:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                client.get(url + "/products", timeout=2)
            stop.wait(0.2)


@needs_prometheus
@pytest.mark.slow
def test_live_storefront_targets_dashboards_and_drill(tmp_path: Path) -> None:
    with _storefront_with_admin(tmp_path) as url:
        target = url.removeprefix("http://")
        webhook_port = free_port()
        stop = threading.Event()
        traffic = threading.Thread(target=_traffic, args=(url, stop), daemon=True)
        traffic.start()
        try:
            with local_stack(
                MONITORING,
                tmp_path / "stack",
                addresses={"127.0.0.1:8000": target},
                webhook_port=webhook_port,
            ) as stack:
                prom = stack.prometheus.url

                def recorded() -> bool:
                    r = httpx.get(
                        f"{prom}/api/v1/query",
                        params={"query": 'job:slo_errors_per_request:ratio_rate5m{job="storefront"} >= 0'},
                    )
                    return bool(r.json()["data"]["result"])

                wait_until(recorded, 30, "storefront's first SLO recording")
                targets = run_check(
                    PrometheusTargetsCheck,
                    {"jobs": ["storefront", "prometheus", "alertmanager"]},
                    workdir=STOREFRONT,
                    prometheus_url=prom,
                )
                assert targets.status is Status.PASS, targets.summary
                boards = run_check(
                    GrafanaDashboardsCheck,
                    {"files": ["monitoring/dashboards/storefront-[rsub]*.json"]},
                    workdir=STOREFRONT,
                    prometheus_url=prom,
                )
                assert boards.status is Status.PASS, boards.evidence.excerpt
                drill = run_check(
                    AlertDrillCheck,
                    {
                        "alert": "StorefrontErrorBudgetFastBurn",
                        "fault": {
                            "description": "admin fault switch: every request answers 500",
                            "inject": {
                                "http": {
                                    "method": "POST",
                                    "path": "/admin/faults",
                                    "json": {"error_rate": 1.0},
                                    "login": {
                                        "path": "/auth/login",
                                        "json": {"email": "${ADMIN_EMAIL}", "password": "${ADMIN_PASSWORD}"},
                                    },
                                }
                            },
                            "remove": {
                                "http": {
                                    "method": "DELETE",
                                    "path": "/admin/faults",
                                    "login": {
                                        "path": "/auth/login",
                                        "json": {"email": "${ADMIN_EMAIL}", "password": "${ADMIN_PASSWORD}"},
                                    },
                                }
                            },
                        },
                        "traffic": {"path": "/products", "rps": 20},
                        "webhook": f"127.0.0.1:{webhook_port}",
                        "detect_within": "30s",
                        "notify_within": "45s",
                        "resolve_within": 0,
                    },
                    workdir=STOREFRONT,
                    base_url=url,
                    prometheus_url=prom,
                    env_vars={"ADMIN_EMAIL": "admin@example.com", "ADMIN_PASSWORD": ADMIN_PASSWORD},
                )
                assert drill.status is Status.PASS, f"{drill.summary}\n{drill.evidence.excerpt}"
                print(drill.summary)
                assert "notified via 'page'" in drill.summary
                login = httpx.post(
                    url + "/auth/login", json={"email": "admin@example.com", "password": ADMIN_PASSWORD}
                ).json()
                faults = httpx.get(
                    url + "/admin/faults", headers={"Authorization": f"Bearer {login['access_token']}"}
                ).json()
                assert faults["error_rate"] == 0.0
        finally:
            stop.set()
            traffic.join(5)
