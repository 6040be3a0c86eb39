"""The capacity plan and ``golive plan capacity``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from golive.cli import app
from golive.errors import UsageError
from golive.load._capacity import PlanInputs, make_plan, plan_markdown
from golive.load.plan import parse_factor, parse_percent


def test_instances_now_and_after_growth() -> None:
    plan = make_plan(
        PlanInputs(
            knee_rps=100,
            current_rps=50,
            growth=3,
            headroom=0.3,
            db_connections_per_instance=8,
            unit_cost=40,
            db_max_connections=100,
        )
    )
    assert plan.usable_rps_per_instance == pytest.approx(70)
    now, grown = plan.rows
    assert (now.instances, grown.instances) == (1, 3)  # 50/70 -> 1; 150/70 -> 3
    assert grown.db_connections == 24 and grown.monthly_cost == 120
    assert not plan.warnings
    assert "CPU" in plan.strategy or "No resource" in plan.strategy


def test_exactly_at_usable_capacity_needs_no_extra_instance() -> None:
    plan = make_plan(PlanInputs(knee_rps=100, current_rps=70, growth=2, headroom=0.3))
    assert [r.instances for r in plan.rows] == [1, 2]


def test_db_connections_strategy_and_warning() -> None:
    plan = make_plan(
        PlanInputs(
            knee_rps=50,
            current_rps=100,
            growth=3,
            headroom=0.2,
            db_connections_per_instance=20,
            db_max_connections=100,
            saturated="db_connections",
        )
    )
    assert "pooler" in plan.strategy
    assert any("max_connections" in w for w in plan.warnings)
    assert "| x3 growth | 300.0 | 8 | 160 |" in plan_markdown(plan)


def test_no_knee_cannot_be_planned() -> None:
    with pytest.raises(ValueError, match="no knee"):
        make_plan(PlanInputs(knee_rps=0, current_rps=10))


@pytest.mark.parametrize(("text", "value"), [("3x", 3.0), ("x2", 2.0), ("1.5", 1.5), ("+50%", 1.5)])
def test_parse_factor(text: str, value: float) -> None:
    assert parse_factor(text) == value


def test_parse_percent() -> None:
    assert parse_percent("30%") == pytest.approx(0.3)
    with pytest.raises(UsageError):
        parse_percent("120%")
    with pytest.raises(UsageError):
        parse_factor("lots")


def _capacity_json(path: Path, *, knee: bool = True) -> Path:
    step = {
        "label": "8 users",
        "users": 8,
        "rps": 80.0,
        "p50": 10.0,
        "p95": 40.0,
        "p99": 60.0,
        "error_rate": 0.0,
        "passed": True,
        "failed": [],
        "resources": [],
    }
    data = {
        "result": {
            "steps": [step],
            "knee": step if knee else None,
            "broke_at": None,
            "saturation": {"name": "cpu", "utilisation": 0.95, "step": "8 users", "saturated": True},
            "slo": ["p95 < 300ms"],
            "db_connections_at_knee": 6.0,
            "db_pool_limit": 20.0,
        }
    }
    path.write_text(json.dumps(data))
    return path


def test_cli_plans_from_a_capacity_result(tmp_path: Path) -> None:
    src = _capacity_json(tmp_path / "capacity.json")
    out = tmp_path / "plan.md"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            "capacity",
            str(tmp_path),
            "--from",
            str(src),
            "--current-rps",
            "100",
            "--growth",
            "3x",
            "--headroom",
            "30%",
            "--unit-cost",
            "50",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    # usable 80 * 0.7 = 56 req/s per instance: 100 -> 2, 300 -> 6 instances; 6 connections each
    # a monthly unit cost: 730 instance-hours a month each; 2 x 50/730 an hour for 360,000 requests
    assert "| now | 100.0 | 2 | 12 | 1,460 | 100.00 EUR | 0.3805 EUR |" in text
    assert "| x3 growth | 300.0 | 6 | 36 | 4,380 | 300.00 EUR | 0.3805 EUR |" in text
    assert "scale out horizontally" in text


def test_cli_finds_the_latest_result_in_the_reports_dir(tmp_path: Path) -> None:
    reports = tmp_path / ".golive" / "reports" / "artifacts" / "perf.capacity"
    reports.mkdir(parents=True)
    _capacity_json(reports / "capacity.json")
    result = CliRunner().invoke(app, ["plan", "capacity", str(tmp_path), "--current-rps", "10"])
    assert result.exit_code == 0, result.output
    assert "Capacity plan" in result.output


def test_cli_errors_are_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    nothing = runner.invoke(app, ["plan", "capacity", str(tmp_path), "--current-rps", "10"])
    assert nothing.exit_code == 2 and "no load.capacity result" in nothing.output
    src = _capacity_json(tmp_path / "capacity.json")
    no_traffic = runner.invoke(app, ["plan", "capacity", str(tmp_path), "--from", str(src)])
    assert no_traffic.exit_code == 2 and "--current-rps" in no_traffic.output
    no_knee = runner.invoke(
        app,
        [
            "plan",
            "capacity",
            "--from",
            str(_capacity_json(tmp_path / "k.json", knee=False)),
            "--current-rps",
            "1",
        ],
    )
    assert no_knee.exit_code == 2 and "no step met the SLO" in no_knee.output
