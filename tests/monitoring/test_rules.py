"""prometheus.rules: promtool, metadata, runbook anchors and P0 test coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from golive.monitoring._generate import Settings, generate
from golive.monitoring._inventory import parse_exposition
from golive.monitoring.checks import PrometheusRulesCheck
from golive.results import Status
from tests.monitoring.conftest import FIXTURES, run_check, write_files

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing")


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    """storefront-like monitoring files generated from a recorded /metrics."""
    inventory = parse_exposition((FIXTURES / "storefront-metrics.txt").read_text())
    files = generate(
        Settings(service="storefront", target="127.0.0.1:8765", latency_p95_ms=300, latency_p99_ms=800),
        inventory,
    ).files
    return write_files(tmp_path / "monitoring", dict(files))


def params(**extra: object) -> dict[str, object]:
    return {
        "files": ["monitoring/rules/*.rules.yml"],
        "tests": ["monitoring/rules/*.test.yml"],
        "runbook": "monitoring/runbook.md",
        **extra,
    }


def test_generated_rules_pass(generated: Path) -> None:
    out = run_check(PrometheusRulesCheck, params(), workdir=generated.parent)
    assert out.status is Status.PASS, out.summary
    assert "2 P0 alert(s) covered" in out.summary
    assert {m.name: m.value for m in out.measurements}["alerts"] == 10
    assert "promtool test rules" in out.reproducer


def test_typo_in_expression_fails_with_promtool_message(generated: Path) -> None:
    rules = generated / "rules" / "storefront.rules.yml"
    rules.write_text(rules.read_text().replace("sum by (job) (up{", "sum by (job) (up{{", 1))
    out = run_check(PrometheusRulesCheck, params(), workdir=generated.parent)
    assert out.status is Status.FAIL
    assert out.summary.startswith("promtool check rules failed:")
    assert "StorefrontDown" in out.summary or "parse error" in out.summary


def test_p0_alert_without_unit_test_fails(generated: Path) -> None:
    tests = generated / "rules" / "storefront.rules.test.yml"
    tests.write_text(tests.read_text().replace("alertname: StorefrontDown", "alertname: Other"))
    out = run_check(PrometheusRulesCheck, params(), workdir=generated.parent)
    assert out.status is Status.FAIL
    assert "storefront.alerts/StorefrontDown (severity critical) has no promtool unit test" in (out.summary)


def test_failing_unit_test_fails(generated: Path) -> None:
    tests = generated / "rules" / "storefront.rules.test.yml"
    tests.write_text(tests.read_text().replace("severity: critical", "severity: warning", 1))
    out = run_check(PrometheusRulesCheck, params(), workdir=generated.parent)
    assert out.status is Status.FAIL
    assert out.summary.startswith("promtool test rules failed:")


def test_runbook_anchor_must_exist(generated: Path) -> None:
    runbook = generated / "runbook.md"
    runbook.write_text(runbook.read_text().replace("## StorefrontInstanceDown", "## Instance"))
    out = run_check(PrometheusRulesCheck, params(tests=[], require_tests=[]), workdir=generated.parent)
    assert out.status is Status.FAIL
    assert "runbook_url #storefrontinstancedown is not a heading in monitoring/runbook.md" in (out.summary)


def test_missing_severity_and_summary_fail(generated: Path) -> None:
    rules = generated / "rules" / "storefront.rules.yml"
    text = rules.read_text()
    text = text.replace("severity: info", "severity: sev9", 1)
    text = text.replace("summary: A storefront instance", "note: A storefront instance", 1)
    rules.write_text(text)
    out = run_check(PrometheusRulesCheck, params(tests=[], require_tests=[]), workdir=generated.parent)
    assert out.status is Status.FAIL
    assert "unknown severity 'sev9'" in out.evidence.excerpt
    assert "StorefrontInstanceDown has no summary annotation" in out.evidence.excerpt


def test_no_matching_files_fail(tmp_path: Path) -> None:
    out = run_check(PrometheusRulesCheck, {"files": ["nope/*.yml"]}, workdir=tmp_path)
    assert out.status is Status.FAIL
    assert "no rule file matches nope/*.yml" in out.summary


def test_kube_prometheus_style_rules_are_accepted(tmp_path: Path) -> None:
    """Real-world rules: severity none (Watchdog), external runbooks, recording rules."""
    out = run_check(
        PrometheusRulesCheck,
        {
            "files": [str(FIXTURES / "kube-prometheus-rules.yml")],
            "tests": [str(FIXTURES / "kube-prometheus-rules.test.yml")],
        },
        workdir=tmp_path,
    )
    assert out.status is Status.PASS, out.evidence.excerpt
    assert "3 P0 alert(s) covered" in out.summary


def test_kube_prometheus_style_rules_without_tests_name_the_critical_alerts(
    tmp_path: Path,
) -> None:
    out = run_check(
        PrometheusRulesCheck,
        {"files": [str(FIXTURES / "kube-prometheus-rules.yml")]},
        workdir=tmp_path,
    )
    assert out.status is Status.FAIL
    for name in ("NodeFilesystemAlmostOutOfSpace", "AlertmanagerFailedReload", "AlertmanagerClusterDown"):
        assert name in out.evidence.excerpt
    assert "TargetDown" not in out.evidence.excerpt  # warning: no test required
