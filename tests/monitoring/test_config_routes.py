"""prometheus.config and alertmanager.routes on generated and broken files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from golive.monitoring._generate import Settings, generate
from golive.monitoring._inventory import parse_exposition
from golive.monitoring.checks import AlertmanagerRoutesCheck, PrometheusConfigCheck
from golive.results import Outcome, Status
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


# ------------------------------------- committed targets against the service's declared ports

LEDGER_SERVICE = FIXTURES / "ledger" / "service"


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    """A Go service (not storefront): Dockerfile EXPOSE 8080 + admin 9102, a Kubernetes Service."""
    shutil.copytree(LEDGER_SERVICE, tmp_path / "ledger")
    return tmp_path / "ledger"


def _config(workdir: Path, **extra: object) -> Outcome:
    params = {"config": "monitoring/prometheus.yml", "jobs": ["ledger"], "service_jobs": ["ledger"], **extra}
    return run_check(PrometheusConfigCheck, params, workdir=workdir)


def test_committed_targets_on_a_declared_port_pass(ledger: Path) -> None:
    out = _config(ledger)
    assert out.status is Status.PASS, out.evidence.excerpt
    assert "3 target(s) of ledger use a declared port (80, 8080, 9102:" in out.summary
    assert "deploy/Dockerfile: EXPOSE 8080" in out.summary


def test_wrong_port_in_committed_config_fails_naming_file_and_both_ports(ledger: Path) -> None:
    """Regression: a wrong port in the shipped prometheus.yml passed (only promtool and job names)."""
    cfg = ledger / "monitoring" / "prometheus.yml"
    cfg.write_text(
        cfg.read_text().replace("ledger-1.ledger.payments.svc:9102", "ledger-1.ledger.payments.svc:9120")
    )
    out = _config(ledger)
    assert out.status is Status.FAIL
    assert out.summary.startswith(
        "monitoring/prometheus.yml: job ledger scrapes ledger-1.ledger.payments.svc:9120 (port 9120), "
        "but the service declares port 80, 8080, 9102 (deploy/Dockerfile: EXPOSE"
    )
    assert "deploy/k8s/ledger.yaml: Service ledger targetPort admin=9102" in out.summary


def test_another_services_port_is_not_the_services(ledger: Path) -> None:
    """The database's Service (5432) in the same manifests is not a port of ledger."""
    cfg = ledger / "monitoring" / "prometheus.yml"
    cfg.write_text(
        cfg.read_text().replace("ledger-0.ledger.payments.svc:9102", "ledger-0.ledger.payments.svc:5432")
    )
    out = _config(ledger)
    assert out.status is Status.FAIL
    assert "scrapes ledger-0.ledger.payments.svc:5432 (port 5432)" in out.summary


def test_compose_ports_count_and_undeclared_service_says_not_compared(tmp_path: Path) -> None:
    (tmp_path / "monitoring").mkdir()
    (tmp_path / "monitoring" / "prometheus.yml").write_text(
        "scrape_configs:\n  - job_name: api\n    static_configs: [{targets: ['127.0.0.1:18080']}]\n"
    )
    params = {"config": "monitoring/prometheus.yml", "service_jobs": ["api"]}
    undeclared = run_check(PrometheusConfigCheck, params, workdir=tmp_path)
    assert undeclared.status is Status.PASS
    assert "target ports of api NOT compared: no Dockerfile EXPOSE, compose ports or Kubernetes" in (
        undeclared.summary
    )
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    build: .\n    ports: ['127.0.0.1:18080:8080']\n"
        "  cache:\n    image: redis:7\n    ports: ['6379:6379']\n"
    )
    declared = run_check(PrometheusConfigCheck, params, workdir=tmp_path)
    assert declared.status is Status.PASS, declared.summary
    assert "compose.yaml: service api ports 127.0.0.1:18080:8080" in declared.summary
    (tmp_path / "monitoring" / "prometheus.yml").write_text(
        "scrape_configs:\n  - job_name: api\n    static_configs: [{targets: ['127.0.0.1:6379']}]\n"
    )
    wrong = run_check(PrometheusConfigCheck, params, workdir=tmp_path)
    assert wrong.status is Status.FAIL
    assert "but the service declares port 8080, 18080" in wrong.summary


def test_config_directory_is_no_data_with_the_fix(ledger: Path) -> None:
    out = run_check(PrometheusConfigCheck, {"config": "monitoring"}, workdir=ledger)
    assert out.status is Status.NO_DATA
    assert "`config` names the directory monitoring, not a file (it holds monitoring/prometheus.yml)" in (
        out.summary
    )
    assert "e.g. `config: monitoring/prometheus.yml`" in out.summary


def test_routes_config_directory_is_no_data(ledger: Path) -> None:
    out = run_check(AlertmanagerRoutesCheck, {"config": "monitoring"}, workdir=ledger)
    assert out.status is Status.NO_DATA
    assert "`config` names the directory monitoring" in out.summary


ROUTES = """route:
  receiver: ticket
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
receivers:
  - name: ticket
    email_configs: [{to: 'ledger-team@example.com', from: 'am@example.com', smarthost: '127.0.0.1:25'}]
  - name: pager
    webhook_configs: [{url: 'http://127.0.0.1:9/pager'}]
"""

PAGE_RULES = """groups:
  - name: ledger
    rules:
      - alert: LedgerDown
        expr: up{job="ledger"} == 0
        labels: {severity: %s, team: payments}
        annotations: {summary: ledger is down, runbook_url: 'https://runbooks.example.com/ledger#down'}
"""


@pytest.mark.parametrize("severity", ["critical", "page"])
def test_page_worthy_alerts_are_routed_with_their_own_labels(tmp_path: Path, severity: str) -> None:
    """Regression: probes used severity=critical, so an alert labelled 'page' fell to the default route
    (a ticket) and the check passed."""
    (tmp_path / "am.yml").write_text(ROUTES)
    (tmp_path / "rules.yml").write_text(PAGE_RULES % severity)
    out = run_check(AlertmanagerRoutesCheck, {"config": "am.yml", "rules": ["rules.yml"]}, workdir=tmp_path)
    if severity == "critical":
        assert out.status is Status.PASS, out.summary
        assert (
            "1 page-worthy alert(s) of the rules reach a notifying route with their own labels" in out.summary
        )
        return
    assert out.status is Status.FAIL
    assert (
        "alert LedgerDown (severity=page) matches no route and falls to the default receiver 'ticket', "
        "while P0 alerts route to pager"
    ) in out.summary
