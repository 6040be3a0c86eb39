"""A simulated payment provider with configurable latency and failure rate."""

from __future__ import annotations

import random
import secrets
import time


class PaymentDeclined(Exception):
    """The provider refused the charge."""


class SimulatedPaymentProvider:
    """Stands in for a card processor so load tests see realistic latency and failures."""

    def __init__(self, failure_rate: float = 0.0, latency_ms: int = 0) -> None:
        self.failure_rate = failure_rate
        self.latency_ms = latency_ms

    def charge(self, order_id: str, amount_cents: int) -> str:
        """Charge ``amount_cents``; return a payment reference or raise :class:`PaymentDeclined`."""
        if self.latency_ms:
            # ±20 % jitter; runs in a worker thread, so blocking sleep is fine here.
            time.sleep(self.latency_ms / 1000 * random.uniform(0.8, 1.2))  # noqa: S311
        if random.random() < self.failure_rate:  # noqa: S311 - simulation, not crypto
            raise PaymentDeclined(f"card declined for order {order_id}")
        return "pay_" + secrets.token_hex(12)
