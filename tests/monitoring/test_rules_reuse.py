"""Evidence reuse of prometheus.rules: only with ``series: off`` (monitoring/_rules_check.py).

Real promtool, a real history store; a counting subclass observes whether the check ran.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from golive.monitoring._rules_check import PrometheusRulesCheck
from golive.results import Status
from tests.fixtures.reuse import ReuseRig, counting
from tests.fixtures.review import crit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "monitoring"
Rules = counting(PrometheusRulesCheck, "test.counting_rules")
DAY = 86400.0


@pytest.fixture
def rules(rig: ReuseRig) -> Path:
    """The kube-prometheus style rules and their promtool tests in the service's directory."""
    Rules.runs = 0
    rig.registry.register(Rules)
    for name in ("kube-prometheus-rules.yml", "kube-prometheus-rules.test.yml"):
        shutil.copy(FIXTURES / name, rig.svc / name)
    return rig.svc


def _criteria(**check: Any) -> list[dict[str, Any]]:
    params = {"type": "test.counting_rules", "files": ["*-rules.yml"], "tests": ["*.test.yml"], **check}
    return [crit("mon.alert-rules", params, area="monitoring")]


def _review(rig: ReuseRig, criteria: list[dict[str, Any]]) -> Any:
    return rig.result(rig.review(criteria, reuse=DAY), "mon.alert-rules")


def test_offline_rules_are_reused_until_a_rule_or_test_file_changes(rig: ReuseRig, rules: Path) -> None:
    criteria = _criteria(series="off")
    first = _review(rig, criteria)
    assert first.status is Status.PASS, first.summary
    assert _review(rig, criteria).reused is not None and Rules.runs == 1
    for name in ("kube-prometheus-rules.test.yml", "kube-prometheus-rules.yml"):
        with (rules / name).open("a") as handle:
            handle.write("\n# changed\n")
        assert _review(rig, criteria).reused is None
    # A new file matching a glob is a new input too.
    shutil.copy(rules / "kube-prometheus-rules.yml", rules / "more-rules.yml")
    assert _review(rig, criteria).reused is None
    assert Rules.runs == 4


@pytest.mark.parametrize("series", ["auto", "metrics", "prometheus"])
def test_rules_judged_against_live_series_are_never_reused(rig: ReuseRig, rules: Path, series: str) -> None:
    # The service is not even up: what matters is that nothing is fingerprinted or reused.
    criteria = _criteria(series=series)
    for _ in range(2):
        result = _review(rig, criteria)
        assert result.fingerprint == "" and result.reused is None
    assert Rules.runs == 2
