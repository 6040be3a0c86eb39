"""The global intervals a live Prometheus runs with, read from its own configuration.

Grafana's ``$__rate_interval`` follows the scrape interval, and an alert drill's healthy
baseline must last long enough for a rule to see golive's traffic: both ask Prometheus
(its status/config endpoint, through the kit client) rather than assume. Prometheus'
defaults are one minute each.
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from golive.kit.prometheus import PrometheusClient, PrometheusQueryError, parse_duration

#: Prometheus' own default for ``global.scrape_interval`` and ``global.evaluation_interval``.
DEFAULT_INTERVAL_S = 60.0


@dataclass(frozen=True, kw_only=True)
class Intervals:
    """Scrape and rule evaluation intervals, and where they came from."""

    scrape_s: float
    evaluation_s: float
    source: str


async def global_intervals(api: PrometheusClient) -> Intervals:
    """The ``global`` intervals (PrometheusUnreachable propagates; an API without the config
    endpoint gives Prometheus' defaults, saying so)."""
    try:
        text = await api.config()
    except PrometheusQueryError as exc:
        return Intervals(
            scrape_s=DEFAULT_INTERVAL_S,
            evaluation_s=DEFAULT_INTERVAL_S,
            source=f"Prometheus' defaults (its configuration could not be read: {exc})",
        )
    try:
        config = YAML(typ="safe", pure=True).load(text) or {}
    except YAMLError:
        config = {}
    section = config.get("global") if isinstance(config, dict) else None
    section = section if isinstance(section, dict) else {}

    def seconds(key: str) -> float:
        raw = section.get(key)
        value = parse_duration(str(raw)) if raw else 0.0
        return value if value > 0 else DEFAULT_INTERVAL_S

    return Intervals(
        scrape_s=seconds("scrape_interval"),
        evaluation_s=seconds("evaluation_interval"),
        source="Prometheus' global scrape_interval",
    )
