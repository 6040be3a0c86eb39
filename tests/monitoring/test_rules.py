"""prometheus.rules: promtool, metadata, runbook anchors and P0 test coverage."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from golive.monitoring._generate import Settings, generate
from golive.monitoring._inventory import parse_exposition
from golive.monitoring._yaml import dump_yaml, load_yaml
from golive.monitoring.checks import PrometheusRulesCheck
from golive.results import Outcome, Status
from tests.monitoring.conftest import FIXTURES, serve_exposition, write_files
from tests.monitoring.conftest import run_check as run_any_check

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


_SERVICE = {"url": ""}


@pytest.fixture(scope="module", autouse=True)
def _service() -> Iterator[None]:
    """The service's /metrics (storefront's recorded exposition) that the selectors must match."""
    with serve_exposition((FIXTURES / "storefront-metrics.txt").read_text()) as exposition:
        _SERVICE["url"] = exposition.url
        yield


def run_check(check: type, params: dict[str, object], *, workdir: Path) -> Outcome:
    """Run with ``base_url`` at the recorded exposition."""
    return run_any_check(check, params, workdir=workdir, base_url=_SERVICE["url"])


def params(**extra: object) -> dict[str, object]:
    return {
        "files": ["monitoring/rules/*.rules.yml"],
        "tests": ["monitoring/rules/*.test.yml"],
        "runbook": "monitoring/runbook.md",
        **extra,
    }


def test_generated_rules_pass(generated: Path) -> None:
    out = run_check(PrometheusRulesCheck, params(), workdir=generated.parent)
    assert out.status is Status.PASS, out.evidence.excerpt
    assert (
        "10/10 alert(s) expected to fire by passing promtool unit tests (all 2 of severity P0)" in out.summary
    )
    assert "match series on the exposition of" in out.summary
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
            "series": "off",
        },
        workdir=tmp_path,
    )
    assert out.status is Status.PASS, out.evidence.excerpt
    assert "alert(s) expected to fire by passing promtool unit tests (all 3 of severity P0)" in out.summary


def test_kube_prometheus_style_rules_without_tests_name_the_critical_alerts(
    tmp_path: Path,
) -> None:
    out = run_check(
        PrometheusRulesCheck,
        {"files": [str(FIXTURES / "kube-prometheus-rules.yml")], "series": "off"},
        workdir=tmp_path,
    )
    assert out.status is Status.FAIL
    for name in ("NodeFilesystemAlmostOutOfSpace", "AlertmanagerFailedReload", "AlertmanagerClusterDown"):
        assert name in out.evidence.excerpt
    assert "TargetDown" not in out.evidence.excerpt  # warning: no test required


# ------------------------------------------------- a pass summary states only what was verified


def test_pass_without_tests_never_claims_tested_alerts(generated: Path) -> None:
    """Regression: with no test and require_tests: [] the summary said '2 P0 alert(s) covered'."""
    out = run_check(PrometheusRulesCheck, params(tests=[], require_tests=[]), workdir=generated.parent)
    assert out.status is Status.PASS, out.evidence.excerpt
    assert "covered" not in out.summary
    assert "no promtool unit test given: none of the 10 alert(s) is unit-tested" in out.summary
    assert {m.name: m.value for m in out.measurements}["alerts_unit_tested"] == 0


def test_untested_alerts_are_named_in_the_pass_summary(generated: Path) -> None:
    tests = generated / "rules" / "storefront.rules.test.yml"
    data = load_yaml(tests)
    data["tests"] = [
        t for t in data["tests"] if "StorefrontOutboxLagHigh" not in str(t.get("alert_rule_test"))
    ]
    tests.write_text(dump_yaml(data))
    out = run_check(PrometheusRulesCheck, params(), workdir=generated.parent)
    assert out.status is Status.PASS, out.evidence.excerpt
    assert "9/10 alert(s) expected to fire" in out.summary
    assert "not unit-tested: StorefrontOutboxLagHigh" in out.summary


PAYMENTS_RULES = """groups:
  - name: payments.alerts
    rules:
      - alert: StorefrontDown
        expr: sum(rate(http_requests_total{route="/products"}[5m])) == 0
        labels: {severity: critical}
        annotations:
          summary: No product page is served
          runbook_url: runbook.md#storefrontdown
"""


def test_alert_tested_in_another_rule_file_only_is_not_covered(generated: Path) -> None:
    """Regression: coverage was by alert name, so a same-named P0 in a file no test loads passed."""
    (generated / "rules" / "payments.rules.yml").write_text(PAYMENTS_RULES)
    out = run_check(PrometheusRulesCheck, params(), workdir=generated.parent)
    assert out.status is Status.FAIL
    assert (
        "payments.rules.yml: payments.alerts/StorefrontDown (severity critical) has no promtool unit test"
        in (out.summary)
    )


# ------------------------------------------------------ spec mistakes are not service verdicts


def test_directory_given_for_files_is_no_data_with_the_fix(generated: Path) -> None:
    """Regression: promtool failed on the directory and the criterion was a plain fail."""
    out = run_check(PrometheusRulesCheck, params(files=["monitoring/rules"]), workdir=generated.parent)
    assert out.status is Status.NO_DATA, out.summary
    assert "`files` names the directory monitoring/rules, not files" in out.summary
    assert "storefront.rules.yml" in out.summary
    assert "e.g. `files: [monitoring/rules/*.yml]`" in out.summary
    runbook = run_check(PrometheusRulesCheck, params(runbook="monitoring"), workdir=generated.parent)
    assert runbook.status is Status.NO_DATA
    assert "`runbook` names the directory monitoring, not a file" in runbook.summary
    assert "e.g. `runbook: monitoring/runbook.md`" in runbook.summary


def test_directory_given_for_tests_is_no_data(generated: Path) -> None:
    out = run_check(PrometheusRulesCheck, params(tests=["monitoring/rules/"]), workdir=generated.parent)
    assert out.status is Status.NO_DATA
    assert "`tests` names the directory monitoring/rules" in out.summary


@pytest.mark.parametrize("text", ["", "groups: []\n", "groups:\n  - name: empty\n    rules: []\n"])
def test_empty_rule_file_is_no_data(tmp_path: Path, text: str) -> None:
    """Regression: an empty rule file passed vacuously ('0 alerts in 1 file(s) pass promtool')."""
    (tmp_path / "alerts.yml").write_text(text)
    out = run_check(PrometheusRulesCheck, {"files": ["alerts.yml"]}, workdir=tmp_path)
    assert out.status is Status.NO_DATA, out.summary
    assert "alerts.yml hold(s) no rules" in out.summary
    assert "golive init monitoring" in out.summary


def test_recording_rules_without_any_alert_is_no_data(tmp_path: Path) -> None:
    (tmp_path / "recording.yml").write_text(
        "groups:\n  - name: r\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n"
    )
    out = run_check(PrometheusRulesCheck, {"files": ["recording.yml"]}, workdir=tmp_path)
    assert out.status is Status.NO_DATA
    assert "1 recording rule(s) but no alerting rule" in out.summary


def test_an_empty_file_beside_real_rules_is_named(generated: Path) -> None:
    (generated / "rules" / "empty.rules.yml").write_text("groups: []\n")
    out = run_check(PrometheusRulesCheck, params(), workdir=generated.parent)
    assert out.status is Status.PASS, out.evidence.excerpt
    assert "empty rule file(s): monitoring/rules/empty.rules.yml" in out.summary
