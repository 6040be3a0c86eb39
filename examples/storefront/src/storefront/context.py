"""The per-application object graph, built once by :func:`storefront.app.create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storefront.config import Settings
from storefront.events import ConsumerSet, OutboxDispatcher, Transport
from storefront.faults import FaultState
from storefront.ratelimit import RateLimiter
from storefront.services.payments import SimulatedPaymentProvider


@dataclass
class AppContext:
    """Everything request handlers need, reachable as ``request.app.state.ctx``."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    hasher: PasswordHasher
    dummy_hash: str
    limiter: RateLimiter
    faults: FaultState
    payments: SimulatedPaymentProvider
    transport: Transport
    consumers: ConsumerSet
    dispatcher: OutboxDispatcher
