"""Check types of the monitoring family: Prometheus, Alertmanager, Grafana and the alert drill.

Static checks run the real tools (``promtool``, ``amtool``) on the service's files; live
checks ask the running Prometheus (the environment's ``prometheus_url``). Each type lives in
its own module (the family declaration imports only the one a spec uses); this module is
the family's public list of them.
"""

from golive.monitoring._dashboard_check import GrafanaDashboardsCheck
from golive.monitoring._drill import AlertDrillCheck
from golive.monitoring._live import PrometheusQueryCheck, PrometheusTargetsCheck
from golive.monitoring._promtool import PrometheusConfigCheck
from golive.monitoring._routes import AlertmanagerRoutesCheck
from golive.monitoring._rules_check import PrometheusRulesCheck

__all__ = [
    "AlertDrillCheck",
    "AlertmanagerRoutesCheck",
    "GrafanaDashboardsCheck",
    "PrometheusConfigCheck",
    "PrometheusQueryCheck",
    "PrometheusRulesCheck",
    "PrometheusTargetsCheck",
]
