"""grafana.dashboards without a live Prometheus: structure, datasource, PromQL parsing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from golive.monitoring import _dashboards as dash
from golive.monitoring._generate import Settings, generate
from golive.monitoring._inventory import parse_exposition
from golive.monitoring.checks import GrafanaDashboardsCheck
from golive.results import Status
from tests.monitoring.conftest import FIXTURES, run_check, write_files

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing")


@pytest.fixture
def boards(tmp_path: Path) -> Path:
    inventory = parse_exposition((FIXTURES / "storefront-metrics.txt").read_text())
    files = generate(Settings(service="storefront", target="127.0.0.1:8765"), inventory).files
    return write_files(tmp_path, dict(files)) / "dashboards"


def static(files: list[str], workdir: Path) -> object:
    return run_check(GrafanaDashboardsCheck, {"files": files, "require_data": False}, workdir=workdir)


def test_five_generated_dashboards_parse(boards: Path) -> None:
    assert len(list(boards.glob("*.json"))) == 5
    out = static(["dashboards/*.json"], boards.parent)
    assert out.status is Status.PASS, out.summary  # type: ignore[attr-defined]


def test_node_exporter_dashboard_is_accepted(tmp_path: Path) -> None:
    """Rows with nested panels, __inputs, $__rate_interval, $node/$job and custom variables."""
    out = static([str(FIXTURES / "node-exporter-full.json")], tmp_path)
    assert out.status is Status.PASS, out.summary  # type: ignore[attr-defined]
    board = dash.load_dashboard(FIXTURES / "node-exporter-full.json")
    assert len(dash.queries(board)) == 17


def _edit(path: Path, change: object) -> None:
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))


def test_duplicate_panel_ids_fail(boards: Path) -> None:
    red = boards / "storefront-red.json"
    _edit(red, lambda d: d["panels"][1].update(id=d["panels"][0]["id"]))
    out = static(["dashboards/storefront-red.json"], boards.parent)
    assert out.status is Status.FAIL  # type: ignore[attr-defined]
    assert "panel id 1 is used more than once" in out.summary  # type: ignore[attr-defined]


def test_broken_promql_is_reported_with_panel_title(boards: Path) -> None:
    red = boards / "storefront-red.json"
    _edit(red, lambda d: d["panels"][0]["targets"][0].update(expr="sum(rate(http_requests_total[5m])"))
    out = static(["dashboards/storefront-red.json"], boards.parent)
    assert out.status is Status.FAIL  # type: ignore[attr-defined]
    summary = out.summary  # type: ignore[attr-defined]
    assert "panel 'Request rate' (A) does not parse" in summary
    assert "unclosed left parenthesis" in summary


def test_pinned_datasource_fails(boards: Path) -> None:
    red = boards / "storefront-red.json"
    _edit(red, lambda d: d["panels"][0].update(datasource={"type": "prometheus", "uid": "P1809F7"}))
    out = static(["dashboards/storefront-red.json"], boards.parent)
    assert out.status is Status.FAIL  # type: ignore[attr-defined]
    assert "is pinned to data source 'P1809F7' instead of a datasource variable" in (
        out.summary  # type: ignore[attr-defined]
    )


def test_invalid_json_fails(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    out = static(["bad.json"], tmp_path)
    assert out.status is Status.FAIL  # type: ignore[attr-defined]
    assert "bad.json: invalid JSON" in out.summary  # type: ignore[attr-defined]


def test_substitution_of_grafana_variables() -> None:
    board = dash.load_dashboard(FIXTURES / "node-exporter-full.json")
    expr = (
        'rate(node_cpu_seconds_total{instance="$node",job="$job",device=~"$diskdevices"}[$__rate_interval])'
    )
    assert dash.substitute(expr, board, {}) == (
        'rate(node_cpu_seconds_total{instance=~".+",job=~".+",'
        'device=~"[a-z]+|nvme[0-9]+n[0-9]+|mmcblk[0-9]+"}[1m])'
    )
    assert 'job="node"' in dash.substitute(expr, board, {"job": "node"})
