"""grafana.dashboards on a real Prometheus with the default 60 s scrape interval.

The dashboards under ``tests/fixtures/monitoring/dashboards`` are shaped like real ones
(node-exporter style templating with chained query variables and compound ``$host:$port``
values, an export with ``__inputs`` and a Loki panel, multi-value/All, ``query_result`` and
interval variables); the Prometheus holds node-exporter-like history scraped every minute.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from golive.kit.check import CheckError
from golive.monitoring.checks import GrafanaDashboardsCheck
from golive.results import Outcome, Status
from tests.fixtures.servers import free_port
from tests.monitoring.conftest import FIXTURES, run_check
from tests.monitoring.prometheus_history import prometheus_with_history

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None or shutil.which("promtool") is None, reason="prometheus missing"
)

BOARDS = FIXTURES / "dashboards"


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prometheus_with_history(tmp_path_factory.mktemp("prom-history")) as url:
        yield url


def check(prom: str, files: list[str], workdir: Path = BOARDS, **params: Any) -> Outcome:
    return run_check(GrafanaDashboardsCheck, {"files": files, **params}, workdir=workdir, prometheus_url=prom)


def measured(out: Outcome) -> dict[str, float]:
    return {m.name: m.value for m in out.measurements}


def edited(tmp_path: Path, name: str, change: Any) -> Path:
    data = json.loads((BOARDS / name).read_text())
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_templated_host_dashboard_is_judged_as_grafana_shows_it(prom: str) -> None:
    """Chained label_values variables, instance="$host:$port", $__rate_interval on a 60 s scrape."""
    out = check(prom, ["hosts-templated.json"])
    assert out.status is Status.PASS, out.summary + "\n" + out.evidence.excerpt
    evidence = out.evidence.excerpt
    # The saved values (job node-exporter, host 192.168.1.20) are not on this Prometheus:
    # Grafana opens with the first value each query returns, and so does the check.
    assert "$job=node (label_values(node_uname_info, job) on Prometheus: first of 1 values" in evidence
    assert "$host=10.0.0.11" in evidence and "$port=9100" in evidence
    assert 'instance="10.0.0.11:9100",job="node"' in evidence
    assert (
        "scrape interval 1m (Prometheus' global scrape_interval); panel 'CPU Busy' (A): $__rate_interval=4m"
    ) in evidence
    assert "[4m]" in evidence and "[1m]" not in evidence
    assert "all 8 panels show data" in out.summary
    # One query of "Network Traffic" (transmit) is empty beside one with data: reported, not failed.
    assert measured(out)["empty_queries"] == 1
    assert "[EMPTY] panel 'Network Traffic' (B)" in evidence
    assert "1 empty query(ies) beside ones with data" in out.summary


def test_compound_value_of_variables_without_saved_values(prom: str, tmp_path: Path) -> None:
    """A freshly imported dashboard has no saved values: instance="$host:$port" must become
    one host's address, not the literal equality instance=".+:.+" that matches nothing."""

    def forget(board: dict[str, Any]) -> None:
        for variable in board["templating"]["list"]:
            if variable["type"] == "query":
                variable["current"] = {}

    edited(tmp_path, "hosts-templated.json", forget)
    out = check(prom, ["hosts-templated.json"], workdir=tmp_path)
    assert out.status is Status.PASS, out.summary
    assert 'node_load1{instance="10.0.0.11:9100",job="node"}' in out.evidence.excerpt


def test_variables_from_the_spec_override_the_defaults(prom: str) -> None:
    out = check(prom, ["hosts-templated.json"], variables={"host": "10.0.0.12"})
    assert out.status is Status.PASS, out.summary
    assert 'instance="10.0.0.12:9100"' in out.evidence.excerpt


def test_rate_interval_shorter_than_four_scrapes_empties_rate_panels(prom: str) -> None:
    """With the data source's scrape interval set to Grafana's 15 s default, [1m] windows hold
    one 60 s sample: every rate panel is empty, exactly as Grafana would show it."""
    out = check(prom, ["hosts-templated.json"], scrape_interval="15s")
    assert out.status is Status.FAIL
    assert "panel 'CPU Basic' (A) is empty" in out.summary
    assert "[1m]))" in out.summary


def test_every_query_can_be_required_and_exempted_one_by_one(prom: str) -> None:
    strict = check(prom, ["hosts-templated.json"], require_every_query=True)
    assert strict.status is Status.FAIL
    assert strict.summary.startswith(
        "hosts-templated.json (Hosts (node exporter)): panel 'Network Traffic' (B) is empty on"
    )
    assert "node_network_transmit_bytes_total" in strict.summary
    exempt = check(
        prom, ["hosts-templated.json"], require_every_query=True, allow_empty=["Network Traffic/B"]
    )
    assert exempt.status is Status.PASS, exempt.summary


def test_panel_without_data_fails_naming_panel_and_query(prom: str, tmp_path: Path) -> None:
    def add(board: dict[str, Any]) -> None:
        row = board["panels"][7]
        row["panels"].append(
            {
                "id": 12,
                "type": "timeseries",
                "title": "CPU pressure",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "targets": [
                    {
                        "refId": "A",
                        "expr": 'rate(node_pressure_cpu_waiting_seconds_total{instance="$host:$port"}'
                        "[$__rate_interval])",
                    }
                ],
            }
        )

    edited(tmp_path, "hosts-templated.json", add)
    out = check(prom, ["hosts-templated.json"], workdir=tmp_path)
    assert out.status is Status.FAIL
    assert out.summary == (
        f"hosts-templated.json (Hosts (node exporter)): panel 'CPU pressure' (A) is empty on {prom}; "
        'query: rate(node_pressure_cpu_waiting_seconds_total{instance="10.0.0.11:9100"}[4m])'
    )
    assert measured(out)["empty_panels"] == 1


def test_exported_dashboard_with_inputs_is_not_pinned(prom: str) -> None:
    """${DS_GDEV-PROMETHEUS} is an input; a constant input is imported; Loki and hidden targets
    are skipped and reported, never parsed as PromQL or dropped silently."""
    out = check(prom, ["exported-with-inputs.json"])
    assert out.status is Status.PASS, out.summary + "\n" + out.evidence.excerpt
    assert "skipped 2 target(s): 1 hidden, 1 loki data source" in out.summary
    assert 'node_memory_MemAvailable_bytes{job="node"}' in out.evidence.excerpt


def test_multi_value_all_query_result_and_interval_variables(prom: str) -> None:
    out = check(prom, ["multi-value.json"])
    assert out.status is Status.PASS, out.summary + "\n" + out.evidence.excerpt
    evidence = out.evidence.excerpt
    assert 'node_load1{instance=~"(10\\\\.0\\\\.0\\\\.11:9100|10\\\\.0\\\\.0\\\\.12:9100)"}' in evidence
    assert 'mode=~"(user|system)"' in evidence
    assert 'instance=~"10.0.0.11:9100|10.0.0.12:9100"' in evidence  # ${instance:pipe}
    assert 'node_load1{instance="10.0.0.12:9100"}' in evidence  # query_result + regex: busiest host
    # auto: 3h / 30 steps = 6m, rounded as Grafana rounds intervals
    assert "avg_over_time(node_load1" in evidence and "[5m])" in evidence


def test_equality_matcher_on_a_multi_value_variable_is_empty_with_the_fix(prom: str, tmp_path: Path) -> None:
    def equality(board: dict[str, Any]) -> None:
        board["panels"][0]["targets"][0]["expr"] = 'node_load1{instance="$instance"}'

    edited(tmp_path, "multi-value.json", equality)
    out = check(prom, ["multi-value.json"], workdir=tmp_path)
    assert out.status is Status.FAIL
    assert "panel 'Load of the selected hosts' (A) is empty" in out.summary
    assert "inside an = matcher, which matches nothing in Grafana too: use =~" in out.summary


def test_dashboard_with_no_data_at_all_is_no_data(prom: str) -> None:
    out = check(prom, ["redis-no-exporter.json", "hosts-templated.json"])
    assert out.status is Status.NO_DATA, out.summary
    assert out.summary.startswith(
        f"redis-no-exporter.json (Redis): none of its 2 queries returns data on {prom} "
        "($instance has no values on Prometheus (label_values(redis_up, instance)))"
    )
    assert "make sure Prometheus scrapes what the dashboard watches" in out.summary
    assert out.summary.endswith("the other 1 dashboard(s) show data")


def test_unreachable_prometheus_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="unreachable"):
        check(f"http://127.0.0.1:{free_port()}", ["hosts-templated.json"])


class _Gateway(BaseHTTPRequestHandler):
    """A proxy whose upstream Prometheus is down: JSON, but not a Prometheus answer."""

    def do_GET(self) -> None:  # noqa: N802
        body = b'{"message": "Bad Gateway", "traceID": "0af7651916cd43dd"}'
        self.send_response(502)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_a_proxy_without_prometheus_behind_is_one_error_not_a_fail_per_query() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(CheckError, match="not a Prometheus API answer"):
            check(f"http://127.0.0.1:{server.server_address[1]}", ["hosts-templated.json"])
    finally:
        server.shutdown()
        server.server_close()
