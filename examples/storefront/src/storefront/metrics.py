"""Prometheus metrics. Defined once per process; every app instance in it shares them."""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

# The *_created series double the exposition size and nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_IN_FLIGHT = Gauge("http_requests_in_flight", "HTTP requests currently being served.")

ORDERS_CREATED = Counter("storefront_orders_created_total", "Orders created.")
ORDERS_PAID = Counter("storefront_orders_paid_total", "Orders paid.")
ORDERS_CANCELLED = Counter("storefront_orders_cancelled_total", "Orders cancelled.")
PAYMENTS_FAILED = Counter("storefront_payments_failed_total", "Payment attempts declined.")
REVENUE = Counter("storefront_revenue_total", "Revenue of paid orders, in currency units (EUR).")
USERS_REGISTERED = Counter("storefront_users_registered_total", "Accounts created.")
LOGINS = Counter("storefront_logins_total", "Login attempts by result.", ["result"])
RATE_LIMITED = Counter("storefront_rate_limited_total", "Requests refused with 429.", ["scope"])

OUTBOX_PENDING = Gauge("storefront_outbox_pending", "Domain events not yet delivered.")
OUTBOX_LAG = Gauge(
    "storefront_outbox_lag_seconds", "Age of the oldest undelivered domain event (0 when none)."
)
EVENTS_PUBLISHED = Counter(
    "storefront_events_published_total", "Domain events handed to the transport.", ["type"]
)
EVENTS_PUBLISH_FAILED = Counter(
    "storefront_events_publish_failures_total", "Failed publish attempts (retried).", ["type"]
)
EVENTS_CONSUMED = Counter(
    "storefront_events_consumed_total",
    "Domain events handled by consumers.",
    ["consumer", "result"],
)

BUILD_INFO = Gauge(
    "storefront_build_info", "Build information; value is always 1.", ["version", "build_sha"]
)
FAULTS_INJECTED = Counter("storefront_faults_injected_total", "Injected faults.", ["kind"])


class _PoolCollector(Collector):
    """Reads the connection pool of every live engine at scrape time."""

    def __init__(self) -> None:
        self._engines: weakref.WeakSet[Engine] = weakref.WeakSet()

    def track(self, engine: Engine) -> None:
        """Report ``engine``'s pool until it is garbage collected."""
        self._engines.add(engine)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        """Yield the pool gauges, summed over tracked engines."""
        size = GaugeMetricFamily("storefront_db_pool_size", "Configured pool size.")
        out = GaugeMetricFamily("storefront_db_pool_checked_out", "Connections in use.")
        idle = GaugeMetricFamily("storefront_db_pool_checked_in", "Idle pooled connections.")
        over = GaugeMetricFamily("storefront_db_pool_overflow", "Connections above pool size.")
        totals = [0, 0, 0, 0]
        for engine in list(self._engines):
            pool = engine.pool
            if isinstance(pool, QueuePool):
                totals[0] += pool.size()
                totals[1] += pool.checkedout()
                totals[2] += pool.checkedin()
                totals[3] += max(pool.overflow(), 0)
        for fam, value in zip((size, out, idle, over), totals, strict=True):
            fam.add_metric([], value)
            yield fam


POOL_COLLECTOR = _PoolCollector()
REGISTRY.register(POOL_COLLECTOR)
