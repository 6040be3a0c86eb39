"""Monitoring and alerting: checks that prove Prometheus, Alertmanager and dashboards work.

The check types live in :mod:`golive.monitoring.checks`, ``golive init monitoring`` in
:mod:`golive.monitoring.cli`, and the readiness metrics exporter in
:mod:`golive.monitoring.readiness`.
"""
