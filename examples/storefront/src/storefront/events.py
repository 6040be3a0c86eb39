"""Domain events: transactional outbox, dispatcher, transports and de-duplicating consumers.

Flow: a request handler calls :func:`record_event` inside the transaction that makes the change,
so the event exists if and only if the change was committed. The :class:`OutboxDispatcher` leases
undelivered rows, hands them to the transport and marks them delivered; a failure (or a crash
between publish and mark) leaves the row to be retried after a backoff or lease expiry. Delivery
is therefore at-least-once, and :class:`ConsumerSet` makes processing effectively-once by
recording ``(consumer, event_id)`` in the same transaction as the consumer's effect.

Transports: :class:`InProcessTransport` (default) calls the consumers directly;
:class:`NatsTransport` publishes to NATS JetStream (``Nats-Msg-Id`` = event id) and consumes from a
durable pull consumer shared by all instances, so several instances split the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storefront import metrics
from storefront.config import Settings
from storefront.models import Notification, OutboxEvent, ProcessedEvent, as_utc, utcnow

log = logging.getLogger("storefront.events")

EVENT_TYPES = ("user.registered", "order.created", "order.paid", "order.cancelled")


@dataclass(frozen=True)
class Envelope:
    """An event as it travels through a transport."""

    id: str
    type: str
    aggregate_id: str
    payload: dict[str, Any]
    occurred_at: str

    def to_json(self) -> bytes:
        """Wire format."""
        return json.dumps(self.__dict__).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Envelope:
        """Parse the wire format."""
        raw = json.loads(data)
        return cls(**{k: raw[k] for k in ("id", "type", "aggregate_id", "payload", "occurred_at")})

    @classmethod
    def from_row(cls, row: OutboxEvent) -> Envelope:
        """Build from an outbox row."""
        return cls(
            id=row.id,
            type=row.type,
            aggregate_id=row.aggregate_id,
            payload=dict(row.payload),
            occurred_at=as_utc(row.created_at).isoformat(),
        )


def record_event(
    session: Session, event_type: str, aggregate_id: str, payload: dict[str, Any]
) -> OutboxEvent:
    """Add an event to the outbox within the caller's transaction."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    row = OutboxEvent(type=event_type, aggregate_id=aggregate_id, payload=payload)
    session.add(row)
    return row


# --- consumers -------------------------------------------------------------------------------

Effect = Callable[[Session, Envelope], None]


def notification_effect(session: Session, event: Envelope) -> None:
    """Write the message a user would be sent for ``event``."""
    p = event.payload
    user_id = p.get("user_id")
    if not user_id:
        return
    total = p.get("total_cents")
    amount = f"{total / 100:.2f} EUR" if isinstance(total, int) else ""
    messages = {
        "user.registered": "Welcome to storefront!",
        "order.created": f"We received your order {event.aggregate_id} ({amount}).",
        "order.paid": f"Payment received for order {event.aggregate_id} ({amount}).",
        "order.cancelled": f"Your order {event.aggregate_id} was cancelled.",
    }
    session.add(
        Notification(
            user_id=user_id,
            event_id=event.id,
            event_type=event.type,
            message=messages.get(event.type, event.type),
        )
    )


@dataclass
class ConsumerSet:
    """Named consumers; each event is applied at most once per consumer (by event id)."""

    sessions: sessionmaker[Session]
    consumers: dict[str, Effect] = field(default_factory=dict)

    def handle_sync(self, event: Envelope) -> None:
        """Apply ``event`` to every consumer that has not yet processed it."""
        for name, effect in self.consumers.items():
            try:
                with self.sessions() as session, session.begin():
                    session.add(ProcessedEvent(consumer=name, event_id=event.id))
                    session.flush()  # the primary key makes a duplicate fail right here
                    effect(session, event)
            except IntegrityError:
                metrics.EVENTS_CONSUMED.labels(name, "duplicate").inc()
                log.info("duplicate event skipped", extra={"event_id": event.id, "consumer": name})
                continue
            metrics.EVENTS_CONSUMED.labels(name, "ok").inc()

    async def handle(self, event: Envelope) -> None:
        """Async wrapper: the database work runs in a worker thread."""
        await asyncio.to_thread(self.handle_sync, event)


def default_consumers(sessions: sessionmaker[Session]) -> ConsumerSet:
    """The consumers this service runs."""
    return ConsumerSet(sessions, {"notifications": notification_effect})


# --- transports ------------------------------------------------------------------------------

Handler = Callable[[Envelope], Awaitable[None]]


class Transport(Protocol):
    """Moves events from the dispatcher to the consumers."""

    name: str

    async def start(self, handler: Handler) -> None:
        """Connect and begin delivering received events to ``handler``."""

    async def publish(self, event: Envelope) -> None:
        """Publish one event; raise on failure so the dispatcher retries."""

    async def ready(self) -> bool:
        """Whether the transport can currently publish."""

    async def close(self) -> None:
        """Stop consuming and disconnect."""


class InProcessTransport:
    """Delivers by calling the handler directly: publish succeeds once consumers succeeded."""

    name = "inprocess"

    def __init__(self) -> None:
        self._handler: Handler | None = None

    async def start(self, handler: Handler) -> None:
        """Remember the handler."""
        self._handler = handler

    async def publish(self, event: Envelope) -> None:
        """Run the consumers now."""
        if self._handler is None:
            raise RuntimeError("transport not started")
        await self._handler(event)

    async def ready(self) -> bool:
        """Always ready once started."""
        return self._handler is not None

    async def close(self) -> None:
        """Forget the handler."""
        self._handler = None


class NatsTransport:
    """NATS JetStream: a file-backed stream and one durable pull consumer shared by instances."""

    name = "nats"

    def __init__(self, settings: Settings) -> None:
        self._url = settings.events_url or "nats://127.0.0.1:4222"
        self._stream = settings.nats_stream
        self._prefix = settings.nats_subject_prefix
        self._durable = settings.nats_durable
        self._ack_wait = settings.nats_ack_wait_seconds
        self._nc: Any = None
        self._js: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self, handler: Handler) -> None:
        """Connect, ensure the stream exists and start the consumer loop."""
        import nats
        from nats.js.api import StreamConfig

        self._nc = await nats.connect(
            self._url,
            name="storefront",
            connect_timeout=2,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
        )
        self._js = self._nc.jetstream()
        cfg = StreamConfig(
            name=self._stream, subjects=[f"{self._prefix}.>"], duplicate_window=120.0
        )
        try:
            await self._js.add_stream(cfg)
        except Exception:  # noqa: BLE001 - already exists with another config: update it
            await self._js.update_stream(cfg)
        self._task = asyncio.create_task(self._consume(handler), name="nats-consumer")

    async def _consume(self, handler: Handler) -> None:
        from nats.errors import TimeoutError as NatsTimeout
        from nats.js.api import ConsumerConfig

        # Unacknowledged messages (an instance died mid-handling) come back after ack_wait.
        sub = await self._js.pull_subscribe(
            f"{self._prefix}.>",
            durable=self._durable,
            stream=self._stream,
            config=ConsumerConfig(ack_wait=self._ack_wait, max_deliver=-1),
        )
        while not self._stopping.is_set():
            try:
                msgs = await sub.fetch(batch=20, timeout=1)
            except (TimeoutError, NatsTimeout):
                continue
            except Exception:  # noqa: BLE001 - connection trouble: back off, nats reconnects
                log.warning("nats fetch failed", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            for msg in msgs:
                try:
                    await handler(Envelope.from_json(msg.data))
                except Exception:  # noqa: BLE001 - redeliver later; consumers de-duplicate
                    log.warning("event handling failed; will be redelivered", exc_info=True)
                    await msg.nak(delay=1.0)
                else:
                    await msg.ack()

    async def publish(self, event: Envelope) -> None:
        """Publish with ``Nats-Msg-Id`` so JetStream drops re-publishes within its window."""
        if self._js is None:
            raise RuntimeError("transport not started")
        await self._js.publish(
            f"{self._prefix}.{event.type}",
            event.to_json(),
            headers={"Nats-Msg-Id": event.id},
            timeout=5,
        )

    async def ready(self) -> bool:
        """Connected to the server."""
        return bool(self._nc is not None and self._nc.is_connected)

    async def close(self) -> None:
        """Stop the consumer loop and drain the connection."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._nc is not None:
            # drain() flushes pending publishes; bounded so a vanished stream cannot hang exit.
            try:
                await asyncio.wait_for(self._nc.drain(), timeout=5)
            except Exception:  # noqa: BLE001
                with contextlib.suppress(Exception):
                    await self._nc.close()
        self._nc = self._js = None


def make_transport(settings: Settings) -> Transport:
    """Pick the transport from ``EVENTS_URL``."""
    url = settings.events_url or ""
    if url.startswith("nats://") or url.startswith("tls://"):
        return NatsTransport(settings)
    if url in ("", "inprocess", "memory://"):
        return InProcessTransport()
    raise ValueError(f"unsupported EVENTS_URL scheme: {url.split(':', 1)[0]}")


# --- dispatcher ------------------------------------------------------------------------------


class OutboxDispatcher:
    """Leases undelivered outbox rows, publishes them and records the outcome.

    A lease (``next_attempt_at`` pushed into the future) rather than a held row lock lets the
    publish happen outside any transaction; an instance that dies mid-batch simply lets its
    leases expire and another (or its restarted self) picks the rows up again.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        transport: Transport,
        settings: Settings,
        lease_seconds: float = 30.0,
    ) -> None:
        self.sessions = sessions
        self.transport = transport
        self.settings = settings
        self.lease_seconds = lease_seconds
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._postgres = sessions.kw["bind"].dialect.name == "postgresql"

    def notify(self) -> None:
        """Thread-safe hint that new events were committed (skip the poll wait)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current batch."""
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        """Dispatch until stopped."""
        self._loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            try:
                sent = await self.dispatch_once()
                await asyncio.to_thread(self.update_lag_metrics)
            except Exception:  # noqa: BLE001 - a DB blip must not kill the loop
                log.warning("outbox dispatch failed", exc_info=True)
                sent = 0
            if sent == 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(
                        self._wake.wait(), self.settings.outbox_poll_interval_seconds
                    )
                self._wake.clear()

    def _claim(self) -> list[Envelope]:
        now = utcnow()
        with self.sessions() as session, session.begin():
            q = (
                select(OutboxEvent)
                .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.next_attempt_at <= now)
                .order_by(OutboxEvent.seq)
                .limit(self.settings.outbox_batch_size)
            )
            if self._postgres:
                q = q.with_for_update(skip_locked=True)
            rows = list(session.scalars(q))
            lease_until = now + timedelta(seconds=self.lease_seconds)
            for row in rows:
                row.next_attempt_at = lease_until
            return [Envelope.from_row(r) for r in rows]

    def _mark_delivered(self, ids: list[str]) -> None:
        if not ids:
            return
        with self.sessions() as session, session.begin():
            for row in session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids))):
                row.delivered_at = utcnow()
                row.attempts += 1
                row.last_error = None

    def _mark_failed(self, event_id: str, error: str) -> None:
        with self.sessions() as session, session.begin():
            row = session.scalars(select(OutboxEvent).where(OutboxEvent.id == event_id)).one()
            row.attempts += 1
            row.last_error = error[:500]
            row.next_attempt_at = utcnow() + timedelta(seconds=self.backoff(row.attempts))

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter, capped at ``OUTBOX_MAX_BACKOFF_SECONDS``."""
        base = self.settings.outbox_base_backoff_seconds * (2 ** max(attempts - 1, 0))
        capped = min(base, self.settings.outbox_max_backoff_seconds)
        return float(capped * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not crypto

    async def dispatch_once(self) -> int:
        """Publish one leased batch; return how many events were delivered."""
        batch = await asyncio.to_thread(self._claim)
        delivered: list[str] = []
        for event in batch:
            try:
                await self.transport.publish(event)
            except Exception as exc:  # noqa: BLE001 - any failure is retried with backoff
                metrics.EVENTS_PUBLISH_FAILED.labels(event.type).inc()
                log.warning(
                    "event publish failed",
                    extra={"event_id": event.id, "event_type": event.type, "error": repr(exc)},
                )
                await asyncio.to_thread(self._mark_failed, event.id, repr(exc))
                continue
            metrics.EVENTS_PUBLISHED.labels(event.type).inc()
            delivered.append(event.id)
        await asyncio.to_thread(self._mark_delivered, delivered)
        return len(delivered)

    def update_lag_metrics(self) -> tuple[int, float]:
        """Refresh ``storefront_outbox_pending`` and ``storefront_outbox_lag_seconds``."""
        pending, lag = outbox_stats(self.sessions)
        metrics.OUTBOX_PENDING.set(pending)
        metrics.OUTBOX_LAG.set(lag)
        return pending, lag


def outbox_stats(sessions: sessionmaker[Session]) -> tuple[int, float]:
    """Number of undelivered events and the age in seconds of the oldest one."""
    with sessions() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(OutboxEvent.created_at)).where(
                OutboxEvent.delivered_at.is_(None)
            )
        ).one()
    lag = 0.0
    if oldest is not None:
        oldest_dt: datetime = as_utc(oldest)
        lag = max((utcnow() - oldest_dt).total_seconds(), 0.0)
    return int(count), lag
