"""What ``prometheus.rules`` reads in the rules beyond promtool: metadata and unit-test coverage."""

from __future__ import annotations

from collections.abc import Callable

from golive.kit.check import CheckContext
from golive.kit.outcomes import Findings
from golive.monitoring._params import PrometheusRulesParams
from golive.monitoring._rules import AlertRule, describe_location, heading_slugs, runbook_anchor
from golive.monitoring._support import listing
from golive.monitoring.base import Severity, parse_severity


def coverage_findings(
    params: PrometheusRulesParams,
    ctx: CheckContext,
    alerts: list[AlertRule],
    fires: Callable[[AlertRule], bool],
    tests_given: bool,
) -> tuple[Findings, str]:
    """Alerts of a required severity no unit test expects to fire; the summary clause.

    An alert counts as tested only when a test file that loads the alert's own rule file
    expects it to fire: an alert of the same name in another file is not covered.
    """
    found = Findings()
    required = set(params.require_tests)
    counted = {s: 0 for s in Severity}
    must_test = missing = 0
    untested: list[str] = []
    for alert in alerts:
        severity = alert.severity(params.severity_label, params.severity_map)
        if severity is not None:
            counted[severity] += 1
        tested = fires(alert)
        if not tested:
            untested.append(alert.name)
        if severity not in required:
            continue
        must_test += 1
        if not tested:
            missing += 1
            found.problem(
                f"{describe_location(alert, ctx.workdir)} (severity "
                f"{alert.labels.get(params.severity_label, '')}) has no promtool unit test that "
                "expects it to fire"
            )
    tested_count = len(alerts) - len(untested)
    found.measure("alerts", len(alerts))
    found.measure("p0_alerts", counted[Severity.P0])
    found.measure("alerts_unit_tested", tested_count, target=f"<= {len(alerts)}")
    found.measure("required_alerts_tested", must_test - missing, target=f"= {must_test}")
    return found, _clause(params, len(alerts), tested_count, must_test, untested, tests_given)


def _clause(
    params: PrometheusRulesParams, total: int, tested: int, must_test: int, untested: list[str], given: bool
) -> str:
    wanted = "/".join(str(s) for s in params.require_tests) or "none"
    if not given:
        return (
            f"no promtool unit test given: none of the {total} alert(s) is unit-tested "
            f"(require_tests: {wanted})"
        )
    text = f"{tested}/{total} alert(s) expected to fire by passing promtool unit tests"
    text += f" (all {must_test} of severity {wanted})" if must_test else f" (no alert of severity {wanted})"
    if untested:
        text += f"; not unit-tested: {listing(untested)}"
    return text


def metadata_findings(params: PrometheusRulesParams, ctx: CheckContext, alerts: list[AlertRule]) -> Findings:
    """Severity labels, required annotations and runbook anchors of every alert."""
    found = Findings()
    slugs: set[str] | None = None
    if params.runbook:
        try:
            slugs = heading_slugs(ctx.path(params.runbook).read_text(encoding="utf-8"))
        except OSError:
            found.problem(f"runbook {params.runbook} cannot be read")
            slugs = set()
    for alert in alerts:
        where = describe_location(alert, ctx.workdir)
        raw = alert.labels.get(params.severity_label)
        if raw is None:
            found.problem(f"{where} has no {params.severity_label} label")
        elif parse_severity(raw, params.severity_map) is None:
            found.problem(
                f"{where} has unknown {params.severity_label} {raw!r} (use P0/P1/P2 or critical/warning/info)"
            )
        for key in params.required_annotations:
            if not alert.annotations.get(key, "").strip():
                found.problem(f"{where} has no {key} annotation")
        url = alert.annotations.get("runbook_url", "")
        if url and slugs is not None:
            anchor = runbook_anchor(url)
            if not anchor:
                found.problem(f"{where}: runbook_url {url} points at no heading (#anchor)")
            elif anchor not in slugs:
                found.problem(f"{where}: runbook_url #{anchor} is not a heading in {params.runbook}")
    return found
