"""``golive validate`` warns when a load plan cannot be expected to judge its thresholds.

The estimate reads the scenario without running it (users, duration, task weights, pacing);
the warning carries the criterion's line and column. storefront's own spec is sized so that
every thresholded request always gets enough samples: it validates without a load warning.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from golive.cli import app
from golive.load._params import LoadCapacityParams, LoadTestParams
from golive.load._scenario import from_locustfile
from golive.load._warnings import capacity_warnings, load_test_warnings, safe_count
from tests.fixtures.servers import STOREFRONT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "load"
STOREFRONT_LOCUSTFILE = STOREFRONT / "load" / "locustfile.py"

# An inventory service, shaped unlike storefront: declarative requests paced by rate.
SPEC = """\
service: {name: inventory}
environments:
  local: {base_url: "http://127.0.0.1:9"}
criteria:
  - id: perf.ok
    title: Enough of everything
    area: performance
    tier: must
    check:
      type: load.test
      requests:
        - {name: stock, path: /stock, weight: 9}
        - {name: restock, method: POST, path: /restock, weight: 1}
      users: 20
      rate_per_user: 2
      duration: 60s
      request_timeout: 5s
      thresholds: ["p99 < 1s", {threshold: "p95 < 300ms", request: restock}]
  - id: perf.thin
    title: Too thin to judge restock
    area: performance
    tier: must
    check:
      type: load.test
      requests:
        - {name: stock, path: /stock, weight: 9}
        - {name: restock, method: POST, path: /restock, weight: 1}
      users: 2
      rate_per_user: 1
      duration: 20s
      thresholds:
        - {threshold: "p95 < 300ms", request: restock}
        - {threshold: "p95 < 300ms", request: recount}
"""


def test_safe_count_keeps_three_standard_deviations_of_margin() -> None:
    n = safe_count(20)
    assert n - 3 * n**0.5 == pytest.approx(20)
    assert 38 < n < 39


def test_storefront_scenario_is_read_from_its_locustfile() -> None:
    model = from_locustfile(STOREFRONT_LOCUSTFILE, [])
    assert model.complete
    (shopper,) = model.users
    assert shopper.cycle_s == 1.0  # between(0.5, 1.5)
    assert shopper.per_task["pay"] == pytest.approx(0.05)
    assert shopper.per_task["browse: list"] == pytest.approx(0.35)  # half of browse's 70%
    assert shopper.on_start == {"register": 1.0, "login": 1.0, "browse: list": 1.0}


def test_two_paced_user_classes_and_computed_names() -> None:
    model = from_locustfile(FIXTURES / "ledger_locust.py", [])
    clerk, auditor = model.users
    assert (clerk.weight, clerk.cycle_s) == (3.0, 0.05)
    assert auditor.per_task == {"audit": 1.0, "reconcile": 1.0}
    # Clerk's names go through a helper's parameter: unknown, so nothing is claimed about them.
    assert not model.complete
    assert model.expected("audit", users=4, seconds=10) == pytest.approx(50)


def test_the_old_storefront_plan_cannot_judge_pay() -> None:
    """6 users x 29 s x 1 task/s x 5% = 8.7 pays expected; a p95 needs 20 (39 with margin)."""
    params = LoadTestParams.model_validate(
        {
            "locustfile": "load/locustfile.py",
            "users": 6,
            "ramp_up": "2s",
            "duration": "30s",
            "thresholds": [
                {"threshold": "p95 < 500ms", "request": "pay"},
                {"threshold": "p95 < 300ms", "request": "browse: list"},
            ],
        }
    )
    (warning,) = load_test_warnings(params, STOREFRONT)
    assert warning.startswith("p95 < 500ms [pay]: about 8.7 samples expected in 29 s with 6 users")
    assert "p95 needs 20 (expect at least 39" in warning and warning.endswith("raise duration or users")


def test_capacity_steps_too_short_to_judge() -> None:
    params = LoadCapacityParams.model_validate(
        {
            "locustfile": "load/locustfile.py",
            "start_users": 2,
            "step_factor": 2,
            "max_users": 32,
            "step_duration": "10s",
            "settle": "2s",
            "thresholds": ["error_rate < 1%", "p95 < 300ms"],
        }
    )
    (warning,) = capacity_warnings(params, STOREFRONT)
    assert warning.startswith("the steps at 2, 4 users cannot be expected to have enough requests")
    assert warning.endswith("raise step_duration or start_users")


def test_validate_prints_warnings_at_the_criterion(tmp_path: Path) -> None:
    spec = tmp_path / "golive.yaml"
    spec.write_text(SPEC)
    result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(lines) == 2, result.output
    thin_line = SPEC.splitlines().index("  - id: perf.thin") + 1
    assert all(re.match(rf"warning: .*golive\.yaml:{thin_line}:5: perf\.thin: ", line) for line in lines)
    assert "p95 < 300ms [restock]: about 4.0 samples expected in 20 s with 2 users" in lines[0]
    assert "the scenario makes no request named 'recount'" in lines[1]
    assert "ok" in result.output


def test_storefront_spec_validates_without_a_load_warning() -> None:
    result = CliRunner().invoke(app, ["validate", str(STOREFRONT / "golive.yaml")])
    assert result.exit_code == 0, result.output
    assert not [
        line for line in result.output.splitlines() if line.startswith("warning:") and "perf." in line
    ], result.output


def test_a_locustfile_that_cannot_be_read_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "ledger_locust.py", tmp_path / "broken.py")
    (tmp_path / "broken.py").write_text("class Broken(:\n")
    params = LoadTestParams.model_validate(
        {"locustfile": "broken.py", "thresholds": [{"threshold": "p95 < 1s", "request": "x"}]}
    )
    (warning, timeout) = load_test_warnings(params, tmp_path)
    assert warning.startswith("cannot estimate the samples of each request: cannot read")
    assert timeout.startswith("request_timeout (10 s) is not shorter than duration (10 s)")
