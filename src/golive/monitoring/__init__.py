"""Monitoring and alerting: checks that prove Prometheus, Alertmanager and dashboards work.

The check types are listed in :mod:`golive.monitoring.checks` (each is declared below by its
own module, so a spec imports only the types it uses); ``golive monitoring ...`` and
``golive init monitoring`` are in :mod:`golive.monitoring.cli`; the readiness metrics
exporter is :mod:`golive.monitoring.readiness`.
"""

from golive.kit.family import Command, Family

FAMILY = Family(
    name="monitoring",
    help="Prometheus, Alertmanager, alert drills and dashboards.",
    checks={
        "prometheus.config": "golive.monitoring._promtool:PrometheusConfigCheck",
        "prometheus.rules": "golive.monitoring._rules_check:PrometheusRulesCheck",
        "prometheus.targets": "golive.monitoring._live:PrometheusTargetsCheck",
        "prometheus.query": "golive.monitoring._live:PrometheusQueryCheck",
        "alertmanager.routes": "golive.monitoring._routes:AlertmanagerRoutesCheck",
        "alert.drill": "golive.monitoring._drill:AlertDrillCheck",
        "grafana.dashboards": "golive.monitoring._dashboard_check:GrafanaDashboardsCheck",
    },
    params={
        "prometheus.config": "golive.monitoring._params:PrometheusConfigParams",
        "prometheus.rules": "golive.monitoring._params:PrometheusRulesParams",
        "prometheus.targets": "golive.monitoring._params:PrometheusTargetsParams",
        "prometheus.query": "golive.monitoring._params:PrometheusQueryParams",
        "alertmanager.routes": "golive.monitoring._params:AlertmanagerRoutesParams",
        "alert.drill": "golive.monitoring._params:DrillParams",
        "grafana.dashboards": "golive.monitoring._params:GrafanaDashboardsParams",
    },
    commands={
        "monitoring": Command(
            target="golive.monitoring.cli:app",
            help="Run a local Prometheus/Alertmanager and serve readiness metrics.",
        )
    },
    init={
        "monitoring": Command(
            target="golive.monitoring.cli:init_monitoring",
            help="Write prometheus.yml, alert rules and their tests, alertmanager.yml, dashboards.",
        )
    },
    reporters={"prometheus": "golive.monitoring.readiness:PrometheusReporter"},
)

__all__ = ["FAMILY"]
