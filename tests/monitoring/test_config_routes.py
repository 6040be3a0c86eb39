"""prometheus.config and alertmanager.routes on generated and broken files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from golive.monitoring._generate import Settings, generate
from golive.monitoring._inventory import parse_exposition
from golive.monitoring.checks import AlertmanagerRoutesCheck, PrometheusConfigCheck
from golive.results import Status
from tests.monitoring.conftest import FIXTURES, run_check, write_files

pytestmark = pytest.mark.skipif(
    shutil.which("promtool") is None or shutil.which("amtool") is None,
    reason="promtool/amtool missing",
)


@pytest.fixture
def monitoring(tmp_path: Path) -> Path:
    inventory = parse_exposition((FIXTURES / "storefront-metrics.txt").read_text())
    files = generate(Settings(service="storefront", target="127.0.0.1:8765"), inventory).files
    return write_files(tmp_path / "monitoring", dict(files))


def test_config_with_expected_jobs_passes(monitoring: Path) -> None:
    out = run_check(
        PrometheusConfigCheck,
        {"config": "monitoring/prometheus.yml", "jobs": ["storefront", "prometheus"]},
        workdir=monitoring.parent,
    )
    assert out.status is Status.PASS, out.summary


def test_missing_job_is_named(monitoring: Path) -> None:
    out = run_check(
        PrometheusConfigCheck,
        {"config": "monitoring/prometheus.yml", "jobs": ["storefront", "payments"]},
        workdir=monitoring.parent,
    )
    assert out.status is Status.FAIL
    assert out.summary.startswith("scrape job 'payments' is missing from monitoring/prometheus.yml")


def test_invalid_config_fails_with_promtool_error(monitoring: Path) -> None:
    cfg = monitoring / "prometheus.yml"
    cfg.write_text(cfg.read_text().replace("scrape_interval: 15s", "scrape_interval: fast"))
    out = run_check(PrometheusConfigCheck, {"jobs": []}, workdir=monitoring.parent)
    assert out.status is Status.FAIL
    assert "promtool check config failed" in out.summary
    assert "fast" in out.summary


def test_routes_pass_and_show_each_severity(monitoring: Path) -> None:
    out = run_check(AlertmanagerRoutesCheck, {}, workdir=monitoring.parent)
    assert out.status is Status.PASS, out.summary
    assert "P0 (severity=critical) -> page" in out.summary
    assert "P2 (severity=info) -> info" in out.summary


def test_p0_routed_to_black_hole_fails(monitoring: Path) -> None:
    cfg = monitoring / "alertmanager.yml"
    text = cfg.read_text().replace(
        "  - name: page\n    webhook_configs:\n      - url: http://127.0.0.1:9095/page\n"
        "        send_resolved: true\n",
        "  - name: page\n",
    )
    assert text != cfg.read_text()
    cfg.write_text(text)
    out = run_check(AlertmanagerRoutesCheck, {}, workdir=monitoring.parent)
    assert out.status is Status.FAIL
    assert "P0 alerts (severity=critical) route to page, which notifies nobody" in out.summary


def test_default_route_to_black_hole_fails(tmp_path: Path) -> None:
    (tmp_path / "am.yml").write_text(
        "route:\n  receiver: blackhole\n  routes:\n"
        "    - matchers: ['severity=\"critical\"']\n      receiver: page\n"
        "receivers:\n  - name: blackhole\n  - name: page\n"
        "    webhook_configs: [{url: 'http://127.0.0.1:9/x'}]\n"
    )
    out = run_check(AlertmanagerRoutesCheck, {"config": "am.yml"}, workdir=tmp_path)
    assert out.status is Status.FAIL
    assert "P1 alerts (severity=warning) route to black-hole receiver 'blackhole'" in out.summary
    assert "the default route (unmatched alerts) sends to black-hole receiver" in (out.evidence.excerpt)
    allowed = run_check(
        AlertmanagerRoutesCheck,
        {"config": "am.yml", "severity_values": {"P0": "critical"}, "allow_silent": ["blackhole"]},
        workdir=tmp_path,
    )
    assert allowed.status is Status.PASS, allowed.summary


def test_broken_alertmanager_config_fails(tmp_path: Path) -> None:
    (tmp_path / "am.yml").write_text("route:\n  receiver: missing\nreceivers:\n  - name: page\n")
    out = run_check(AlertmanagerRoutesCheck, {"config": "am.yml"}, workdir=tmp_path)
    assert out.status is Status.FAIL
    assert "amtool check-config failed" in out.summary
    assert "missing" in out.summary
