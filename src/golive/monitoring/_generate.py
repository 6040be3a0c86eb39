"""``golive init monitoring``: Prometheus, Alertmanager, rules, their tests and dashboards.

Everything is derived from the spec (service name, objectives) and what the service really
exposes on ``/metrics`` (see :mod:`golive.monitoring._model`): an alert or panel is only
written for a metric that exists, so the ``grafana.dashboards`` and ``prometheus.rules``
checks pass on what this module writes. The alerts themselves are in
:mod:`golive.monitoring._alerts`, the dashboards in :mod:`golive.monitoring._grafana`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from golive.monitoring._alerts import AlertSpec, alert_specs
from golive.monitoring._inventory import Inventory
from golive.monitoring._model import WINDOWS, Model, Settings, build_model, ratio_record
from golive.monitoring._rules import slugify
from golive.monitoring._yaml import dump_yaml
from golive.monitoring.base import SEVERITY_LABEL_VALUES, Severity, parse_severity

__all__ = ["Generated", "Settings", "generate"]


@dataclass(frozen=True, kw_only=True)
class Generated:
    """The files to write (paths relative to the output directory) and notes for the user."""

    files: Mapping[str, str]
    notes: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()


def _ratio(model: Model, window: str) -> str:
    metric = model.requests.sample_name if model.requests else "http_requests_total"
    return (
        f"(sum by (job) (rate({metric}{{{model.err_sel}}}[{window}]))\n"
        f"  or sum by (job) (rate({metric}{{{model.sel}}}[{window}])) * 0)\n"
        f"/\n"
        f"sum by (job) (rate({metric}{{{model.sel}}}[{window}]))"
    )


def _annotations(model: Model, alert: AlertSpec) -> dict[str, str]:
    return {
        "summary": alert.summary,
        "description": alert.description,
        "runbook_url": f"{model.settings.runbook_url}#{slugify(alert.name)}",
    }


def rules_file(model: Model, alerts: list[AlertSpec]) -> dict[str, Any]:
    """The rule file: SLO recording rules, then alerts grouped by kind."""
    groups: list[dict[str, Any]] = []
    if model.requests is not None:
        groups.append(
            {
                "name": f"{model.job}.slo.rules",
                "rules": [{"record": ratio_record(w), "expr": _ratio(model, w)} for w in WINDOWS],
            }
        )
    rules = []
    for alert in alerts:
        rule: dict[str, Any] = {"alert": alert.name, "expr": alert.expr}
        if alert.for_ != "0s":
            rule["for"] = alert.for_
        rule["labels"] = {"severity": SEVERITY_LABEL_VALUES[alert.severity]}
        rule["annotations"] = _annotations(model, alert)
        rules.append(rule)
    groups.append({"name": f"{model.job}.alerts", "rules": rules})
    return {"groups": groups}


def rules_tests(model: Model, alerts: list[AlertSpec], rule_file: str) -> dict[str, Any]:
    """promtool unit tests: every alert fires on its fault, P0s also stay quiet when healthy."""
    tests = []
    for alert in alerts:
        for case in alert.tests:
            expected = []
            if case.fires:
                expected.append(
                    {
                        "exp_labels": {
                            "severity": SEVERITY_LABEL_VALUES[alert.severity],
                            **case.labels,
                        },
                        "exp_annotations": _annotations(model, alert),
                    }
                )
            tests.append(
                {
                    "name": f"{alert.name} {'fires' if case.fires else 'stays quiet'}",
                    "interval": "1m",
                    "input_series": [
                        {"series": name, "values": values} for name, values in case.series.items()
                    ],
                    "alert_rule_test": [
                        {"eval_time": case.eval_time, "alertname": alert.name, "exp_alerts": expected}
                    ],
                }
            )
    return {"rule_files": [rule_file], "evaluation_interval": "1m", "tests": tests}


# ----------------------------------------------------------------------- prometheus/alertmanager


def prometheus_config(model: Model, rule_glob: str) -> dict[str, Any]:
    """prometheus.yml: the service, Prometheus and Alertmanager themselves, golive readiness."""
    s = model.settings
    jobs: list[dict[str, Any]] = [
        {
            "job_name": model.job,
            "metrics_path": s.metrics_path,
            "static_configs": [{"targets": [s.target]}],
        },
        {"job_name": "prometheus", "static_configs": [{"targets": [s.prometheus_address]}]},
        {"job_name": "alertmanager", "static_configs": [{"targets": [s.alertmanager_address]}]},
    ]
    if s.readiness_address:
        jobs.append(
            {
                "job_name": "golive",
                "scrape_interval": "1m",
                "honor_labels": True,
                "static_configs": [{"targets": [s.readiness_address]}],
            }
        )
    return {
        "global": {"scrape_interval": s.scrape_interval, "evaluation_interval": s.scrape_interval},
        "rule_files": [rule_glob],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [s.alertmanager_address]}]}]},
        "scrape_configs": jobs,
    }


def alertmanager_config(model: Model) -> dict[str, Any]:
    """alertmanager.yml: P0 pages, P1 opens a ticket, P2 goes to a low-noise channel."""
    hook = model.settings.webhook_url.rstrip("/")

    def receiver(name: str) -> dict[str, Any]:
        return {"name": name, "webhook_configs": [{"url": f"{hook}/{name}", "send_resolved": True}]}

    levels = _severity_levels(model.settings.existing_severities)

    def severity(level: Severity) -> str:
        values = levels[level]
        return f'severity="{values[0]}"' if len(values) == 1 else f'severity=~"{"|".join(values)}"'

    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "ticket",
            "group_by": ["alertname", "job"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "matchers": [severity(Severity.P0)],
                    "receiver": "page",
                    "group_wait": "10s",
                    "repeat_interval": "1h",
                },
                {"matchers": [severity(Severity.P1)], "receiver": "ticket"},
                {
                    "matchers": [severity(Severity.P2)],
                    "receiver": "info",
                    "repeat_interval": "24h",
                },
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": [severity(Severity.P0)],
                "target_matchers": [f'severity=~"{"|".join(levels[Severity.P1] + levels[Severity.P2])}"'],
                "equal": ["job"],
            }
        ],
        "receivers": [receiver("page"), receiver("ticket"), receiver("info")],
    }


def _severity_levels(existing: tuple[str, ...]) -> dict[Severity, list[str]]:
    """golive's label value per level plus the service's own values that mean that level.

    An existing rule's ``severity: page`` must reach the page receiver as golive's own
    ``critical`` does.
    """
    levels = {level: [value] for level, value in SEVERITY_LABEL_VALUES.items()}
    for value in existing:
        level = parse_severity(value)
        if level in levels and value not in levels[level]:
            levels[level].append(value)
    return levels


def runbook(model: Model, alerts: list[AlertSpec]) -> str:
    """The alert playbook every ``runbook_url`` points into (one heading per alert)."""
    s = model.settings
    lines = [
        f"# {s.service} alert playbook",
        "",
        "Generated by `golive init monitoring`; edit freely (golive will not overwrite your "
        "changes). Every alert's `runbook_url` points at its heading here.",
        "",
        "| Severity | Meaning | Route |",
        "| --- | --- | --- |",
        "| P0 (`critical`) | users are affected now | pages on-call (`page`) |",
        "| P1 (`warning`) | will affect users if left alone | ticket, business hours |",
        "| P2 (`info`) | worth a look | low-noise channel |",
        "",
    ]
    for alert in alerts:
        lines += [
            f"## {alert.name}",
            "",
            f"**Severity:** {alert.severity.value} (`{SEVERITY_LABEL_VALUES[alert.severity]}`)",
            "",
            alert.summary + ". " + alert.description,
            "",
            "```promql",
            alert.expr,
            "```",
            "",
            *[f"{i}. {step}" for i, step in enumerate(alert.steps, 1)],
            "",
        ]
    return "\n".join(lines)


# -------------------------------------------------------------------------------- generate


def generate(settings: Settings, inventory: Inventory) -> Generated:
    """All monitoring files for a service, as text keyed by relative path."""
    # grafana-foundation-sdk is big; only writing dashboards needs it.
    from golive.monitoring._grafana import dashboards

    model = build_model(settings, inventory)
    alerts = alert_specs(model)
    rule_name = f"{model.job}.rules.yml"
    files: dict[str, str] = {
        "prometheus.yml": _header("Prometheus configuration")
        + dump_yaml(prometheus_config(model, "rules/*.rules.yml")),
        f"rules/{rule_name}": _header("Alerting and SLO recording rules")
        + dump_yaml(rules_file(model, alerts)),
        f"rules/{model.job}.rules.test.yml": _header(
            "Unit tests: promtool test rules rules/" + f"{model.job}.rules.test.yml"
        )
        + dump_yaml(rules_tests(model, alerts, rule_name)),
        "alertmanager.yml": _header(
            "Alertmanager routing. Replace the webhook receivers with your pager/ticket "
            "integrations (pagerduty_configs, slack_configs, ...); keep one per severity"
        )
        + dump_yaml(alertmanager_config(model)),
        "runbook.md": runbook(model, alerts),
    }
    for name, board in dashboards(model).items():
        files[f"dashboards/{name}.json"] = json.dumps(board, indent=2) + "\n"
    return Generated(files=files, notes=tuple(model.notes), alerts=tuple(a.name for a in alerts))


def _header(title: str) -> str:
    return f"# {title}.\n# Generated by `golive init monitoring`; edits are kept on re-runs.\n"
