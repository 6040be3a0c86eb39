"""Transactional outbox, dispatcher retries, consumer de-duplication, restart survival, NATS."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from storefront.context import AppContext
from storefront.events import (
    Envelope,
    InProcessTransport,
    NatsTransport,
    OutboxDispatcher,
    outbox_stats,
)
from storefront.models import Notification, OutboxEvent, ProcessedEvent
from storefront.testing import (
    ClientFactory,
    admin_headers,
    create_product,
    new_key,
    register_and_login,
    tcp_reachable,
    wait_for,
)


class Crash(BaseException):
    """Simulates the process dying: not an ``Exception``, so nothing catches it."""


def _ctx(client: TestClient) -> AppContext:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    return ctx


def _make_events(client: TestClient, orders: int = 3) -> int:
    """Register users and place orders; return how many outbox events exist."""
    admin = admin_headers(client)
    product = create_product(client, admin, stock=100)
    for _ in range(orders):
        user = register_and_login(client)
        r = client.post(
            "/orders",
            json={"items": [{"product_id": product["id"], "quantity": 1}]},
            headers={**user["headers"], "Idempotency-Key": new_key()},
        )
        assert r.status_code == 201
    with _ctx(client).sessions() as db:
        return int(db.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


def _effects(ctx: AppContext) -> Counter[str]:
    with ctx.sessions() as db:
        return Counter(db.scalars(select(Notification.event_id)))


def _user_event_ids(ctx: AppContext) -> set[str]:
    # Every event we produce here concerns a user, so each must yield exactly one notification.
    with ctx.sessions() as db:
        return set(db.scalars(select(OutboxEvent.id)))


def test_events_are_written_in_the_same_transaction(make_client: ClientFactory) -> None:
    client = make_client(dispatcher_enabled=False)
    ctx = _ctx(client)
    total = _make_events(client, orders=2)
    # 1 admin + 2 users registered, 2 orders created.
    assert total == 5
    with ctx.sessions() as db:
        kinds = Counter(db.scalars(select(OutboxEvent.type)))
    assert kinds == {"user.registered": 3, "order.created": 2}
    # A failed order (insufficient stock) rolls back and leaves no event behind.
    user = register_and_login(client)
    r = client.post(
        "/orders",
        json={"items": [{"product_id": 1, "quantity": 100}]},
        headers={**user["headers"], "Idempotency-Key": new_key()},
    )
    assert r.status_code == 409
    with ctx.sessions() as db:
        assert db.scalar(select(func.count()).where(OutboxEvent.type == "order.created")) == 2
    assert outbox_stats(ctx.sessions)[0] == 6


def test_dispatcher_delivers_to_consumers(client: TestClient) -> None:
    ctx = _ctx(client)
    total = _make_events(client, orders=2)
    wait_for(lambda: outbox_stats(ctx.sessions)[0] == 0)
    effects = _effects(ctx)
    assert len(effects) == total and set(effects.values()) == {1}
    user = register_and_login(client)
    wait_for(lambda: len(client.get("/notifications", headers=user["headers"]).json()) == 1)
    note = client.get("/notifications", headers=user["headers"]).json()[0]
    assert note["event_type"] == "user.registered"


def test_consumers_deduplicate_by_event_id(make_client: ClientFactory) -> None:
    client = make_client(dispatcher_enabled=False)
    ctx = _ctx(client)
    user = register_and_login(client)
    with ctx.sessions() as db:
        row = db.scalars(select(OutboxEvent)).first()
        assert row is not None
        event = Envelope.from_row(row)
    for _ in range(3):
        ctx.consumers.handle_sync(event)
    assert _effects(ctx)[event.id] == 1
    with ctx.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
    assert user["email"]


def test_failed_publish_is_retried_with_backoff(make_client: ClientFactory) -> None:
    client = make_client(dispatcher_enabled=False, outbox_base_backoff_seconds=0.05)
    ctx = _ctx(client)
    total = _make_events(client, orders=1)

    class Flaky(InProcessTransport):
        failures = 2

        async def publish(self, event: Envelope) -> None:
            if self.failures > 0:
                self.failures -= 1
                raise ConnectionError("broker unavailable")
            await super().publish(event)

    async def scenario() -> None:
        transport = Flaky()
        await transport.start(ctx.consumers.handle)
        dispatcher = OutboxDispatcher(ctx.sessions, transport, ctx.settings)
        for _ in range(200):
            await dispatcher.dispatch_once()
            if outbox_stats(ctx.sessions)[0] == 0:
                break
            await asyncio.sleep(0.02)

    asyncio.run(scenario())
    with ctx.sessions() as db:
        rows = list(db.scalars(select(OutboxEvent)))
    assert all(r.delivered_at is not None for r in rows)
    assert sum(r.attempts for r in rows) == total + 2
    assert len(_effects(ctx)) == total


def test_backoff_grows_and_is_capped(make_client: ClientFactory) -> None:
    client = make_client(
        dispatcher_enabled=False, outbox_base_backoff_seconds=1.0, outbox_max_backoff_seconds=10.0
    )
    d = _ctx(client).dispatcher
    assert 0.5 <= d.backoff(1) <= 1.0
    assert 4.0 <= d.backoff(4) <= 8.0
    assert all(d.backoff(n) <= 10.0 for n in range(1, 30))


def test_outbox_survives_dispatcher_restart(make_client: ClientFactory) -> None:
    """Crash after publishing but before recording delivery: nothing lost, nothing doubled."""
    client = make_client(dispatcher_enabled=False)
    ctx = _ctx(client)
    total = _make_events(client, orders=4)

    class CrashAfter(InProcessTransport):
        def __init__(self, limit: int) -> None:
            super().__init__()
            self.limit = limit

        async def publish(self, event: Envelope) -> None:
            if self.limit == 0:
                raise Crash
            self.limit -= 1
            await super().publish(event)

    async def first_life() -> None:
        transport = CrashAfter(limit=3)
        await transport.start(ctx.consumers.handle)
        dispatcher = OutboxDispatcher(ctx.sessions, transport, ctx.settings, lease_seconds=0.3)
        with pytest.raises(Crash):
            await dispatcher.dispatch_once()

    asyncio.run(first_life())
    # Three effects happened, yet every event is still undelivered in the outbox.
    assert sum(_effects(ctx).values()) == 3
    assert outbox_stats(ctx.sessions)[0] == total

    async def second_life() -> None:
        transport = InProcessTransport()
        await transport.start(ctx.consumers.handle)
        dispatcher = OutboxDispatcher(ctx.sessions, transport, ctx.settings, lease_seconds=0.3)
        task = asyncio.create_task(dispatcher.run())
        for _ in range(200):
            await asyncio.sleep(0.05)
            if outbox_stats(ctx.sessions)[0] == 0:
                break
        dispatcher.stop()
        await task

    asyncio.run(second_life())
    effects = _effects(ctx)
    assert set(effects) == _user_event_ids(ctx)  # none lost
    assert set(effects.values()) == {1}  # none doubled
    assert outbox_stats(ctx.sessions) == (0, 0.0)


nats_required = pytest.mark.skipif(
    not tcp_reachable("127.0.0.1", 4222), reason="NATS is not reachable"
)


@pytest.mark.nats
@nats_required
def test_nats_transport_restart_no_loss_no_duplicates(make_client: ClientFactory) -> None:
    """Two instances' worth of NATS plumbing; the first dies mid-batch."""
    tag = secrets.token_hex(4)
    # The app itself runs in-process; this test drives its own NATS transports.
    client = make_client(dispatcher_enabled=False)
    ctx = _ctx(client)
    total = _make_events(client, orders=4)
    settings = ctx.settings.model_copy(
        update={
            "events_url": "nats://127.0.0.1:4222",
            "nats_stream": f"SF_TEST_{tag}",
            "nats_subject_prefix": f"sftest.{tag}",
            "nats_durable": f"sftest-{tag}",
            "nats_ack_wait_seconds": 1.0,
        }
    )

    class CrashAfter(NatsTransport):
        limit = 3

        async def publish(self, event: Envelope) -> None:
            if self.limit == 0:
                raise Crash
            self.limit -= 1
            await super().publish(event)

    async def scenario() -> None:
        first = CrashAfter(settings)
        await first.start(ctx.consumers.handle)
        d1 = OutboxDispatcher(ctx.sessions, first, settings, lease_seconds=0.3)
        with pytest.raises(Crash):
            await d1.dispatch_once()
        await first.close()
        second = NatsTransport(settings)
        await second.start(ctx.consumers.handle)
        d2 = OutboxDispatcher(ctx.sessions, second, settings, lease_seconds=0.3)
        task = asyncio.create_task(d2.run())
        try:
            for _ in range(300):
                await asyncio.sleep(0.05)
                if outbox_stats(ctx.sessions)[0] == 0 and len(_effects(ctx)) == total:
                    break
        finally:
            d2.stop()
            await task
            await second.close()
            import nats

            nc = await nats.connect("nats://127.0.0.1:4222")
            await nc.jetstream().delete_stream(settings.nats_stream)
            await nc.close()

    asyncio.run(scenario())
    effects = _effects(ctx)
    assert set(effects) == _user_event_ids(ctx)
    assert set(effects.values()) == {1}


@pytest.mark.nats
@nats_required
def test_app_with_nats_delivers_and_is_ready(make_client: ClientFactory) -> None:
    tag = secrets.token_hex(4)
    client = make_client(
        events_url="nats://127.0.0.1:4222",
        nats_stream=f"SF_TEST_{tag}",
        nats_subject_prefix=f"sftest.{tag}",
        nats_durable=f"sftest-{tag}",
    )
    ctx = _ctx(client)
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"]["events"] is True
    total = _make_events(client, orders=1)
    wait_for(lambda: len(_effects(ctx)) == total)

    async def cleanup() -> None:
        import nats

        nc = await nats.connect("nats://127.0.0.1:4222")
        await nc.jetstream().delete_stream(ctx.settings.nats_stream)
        await nc.close()

    asyncio.run(cleanup())
