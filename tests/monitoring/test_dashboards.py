"""grafana.dashboards without a live Prometheus: structure, datasource, PromQL parsing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from golive.monitoring import _dashboards as dash
from golive.monitoring import _grafana_board as gb
from golive.monitoring import _grafana_vars as gv
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
    assert len(dash.queries(board)[0]) == 17


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


def test_dashboard_without_queries_is_no_data_not_a_vacuous_pass(tmp_path: Path) -> None:
    out = static([str(FIXTURES / "dashboards" / "no-queries.json")], tmp_path)
    assert out.status is Status.NO_DATA, out.summary  # type: ignore[attr-defined]
    assert out.summary == (  # type: ignore[attr-defined]
        "no-queries.json (New dashboard) has no panel with a Prometheus query: nothing to judge "
        "(add panels, or take it out of files)"
    )


def test_a_directory_in_files_is_a_spec_mistake_not_a_failing_criterion(boards: Path) -> None:
    out = static(["dashboards"], boards.parent)
    assert out.status is Status.NO_DATA  # type: ignore[attr-defined]
    assert out.summary.startswith(  # type: ignore[attr-defined]
        "`files` names the directory dashboards, not dashboard files (it holds storefront-business.json"
    )
    assert out.summary.endswith("list the files, e.g. `files: [dashboards/*.json]`")  # type: ignore[attr-defined]
    # A glob that also matches a folder takes the files it matches and nothing else.
    (boards / "archive").mkdir()
    assert static(["dashboards/*"], boards.parent).status is Status.PASS  # type: ignore[attr-defined]


def test_a_variable_the_dashboard_does_not_define_is_named(boards: Path) -> None:
    red = boards / "storefront-red.json"
    _edit(red, lambda d: d["panels"][0]["targets"][0].update(expr='sum(rate(x{job="$service"}[5m]))'))
    out = static(["dashboards/storefront-red.json"], boards.parent)
    assert out.status is Status.FAIL  # type: ignore[attr-defined]
    assert "panel 'Request rate' (A) uses $service, which the dashboard does not define" in (
        out.summary  # type: ignore[attr-defined]
    )


def _var(**fields: object) -> gv.Resolved:
    return gv.select({"name": "v", "type": "custom", **fields}, ["a.b", "c"], None)


def test_values_are_inserted_as_grafanas_prometheus_data_source_does() -> None:
    single = gv.select({"name": "v", "type": "custom", "current": {"value": "a.b"}}, ["a.b", "c"], None)
    assert gv.format_value(single, None) == "a.b"  # single value: as is
    multi = gv.select(
        {"name": "v", "type": "custom", "multi": True, "current": {"value": ["a.b", "c"]}}, ["a.b", "c"], None
    )
    assert gv.format_value(multi, None) == "(a\\\\.b|c)"  # regex-escaped for a PromQL string
    assert gv.format_value(multi, "pipe") == "a.b|c"
    assert gv.format_value(multi, "regex") == "(a\\.b|c)"
    everything = _var(includeAll=True, current={"value": "$__all"})
    assert everything.is_all and gv.format_value(everything, None) == "(a\\\\.b|c)"
    custom_all = _var(includeAll=True, allValue=".*", current={"value": ["$__all"]})
    assert gv.format_value(custom_all, None) == ".*"
    # A saved value that is no longer an option: All when offered, else the first option.
    assert _var(includeAll=True, current={"value": "gone"}).is_all
    assert _var(current={"value": "gone"}).values == ("a.b",)
    values = {"v": single}
    text = 'x{i="$v:$port",j="${v}",k="[[v]]"} $1'
    assert gv.interpolate(text, values, {}) == 'x{i="a.b:$port",j="a.b",k="a.b"} $1'


def test_rate_interval_is_grafanas_rule_on_the_scrape_interval() -> None:
    board = dash.load_dashboard(FIXTURES / "dashboards" / "hosts-templated.json")
    query = dash.queries(board)[0][0]
    assert gb.builtins(board, query, gb.Clock(end=0, scrape_s=60))["__rate_interval"] == "4m"
    assert gb.builtins(board, query, gb.Clock(end=0, scrape_s=15))["__rate_interval"] == "75s"
    assert gb.builtins(board, query, gb.Clock(end=0, scrape_s=1))["__range"] == "21600s"
