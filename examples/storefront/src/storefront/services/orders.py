"""Orders: idempotent creation, oversell-proof stock reservation, payment and cancellation."""

from __future__ import annotations

import hashlib
import json
import logging

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storefront import metrics
from storefront.db import rowcount
from storefront.errors import AppError
from storefront.events import record_event
from storefront.models import Order, OrderItem, Product, utcnow
from storefront.schemas import OrderItemIn
from storefront.services.payments import PaymentDeclined, SimulatedPaymentProvider

log = logging.getLogger("storefront.orders")


def _request_hash(items: list[OrderItemIn]) -> str:
    canonical = json.dumps([[i.product_id, i.quantity] for i in items])
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(db: Session, user_id: str, key: str) -> Order | None:
    return db.scalars(
        select(Order).where(Order.user_id == user_id, Order.idempotency_key == key)
    ).first()


def _replay(order: Order, request_hash: str) -> Order:
    if order.request_hash != request_hash:
        raise AppError(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request body",
        )
    return order


def _event_payload(order: Order) -> dict[str, object]:
    return {
        "order_id": order.id,
        "user_id": order.user_id,
        "status": order.status,
        "total_cents": order.total_cents,
        "currency": order.currency,
    }


def create_order(
    db: Session, user_id: str, items: list[OrderItemIn], idempotency_key: str
) -> tuple[Order, bool]:
    """Create an order, or return the one this key already created. Returns (order, replayed).

    Stock is reserved with ``UPDATE … SET stock = stock - q WHERE stock >= q``: the database
    evaluates the guard and the decrement atomically per row, so concurrent orders can never
    drive stock negative (a CHECK constraint backs it up).
    """
    req_hash = _request_hash(items)
    found = _existing(db, user_id, idempotency_key)
    if found is not None:
        return _replay(found, req_hash), True

    wanted: dict[int, int] = {}
    for item in items:
        wanted[item.product_id] = wanted.get(item.product_id, 0) + item.quantity
    lines: list[OrderItem] = []
    total = 0
    # Lock rows in id order so two multi-line orders cannot deadlock each other.
    for product_id in sorted(wanted):
        qty = wanted[product_id]
        product = db.get(Product, product_id)
        if product is None or not product.active:
            db.rollback()
            raise AppError(404, "product_not_found", f"Product {product_id} not found")
        reserved = rowcount(
            db.execute(
                update(Product)
                .where(Product.id == product_id, Product.stock >= qty)
                .values(stock=Product.stock - qty)
            )
        )
        if not reserved:
            db.rollback()
            raise AppError(409, "insufficient_stock", f"Not enough stock for {product.name}")
        lines.append(
            OrderItem(
                product_id=product_id,
                product_name=product.name,
                quantity=qty,
                unit_price_cents=product.price_cents,
            )
        )
        total += qty * product.price_cents
    order = Order(
        user_id=user_id,
        status="pending",
        total_cents=total,
        idempotency_key=idempotency_key,
        request_hash=req_hash,
        items=lines,
    )
    db.add(order)
    try:
        db.flush()
    except IntegrityError:
        # A concurrent request with the same key won the race; undo our reservation.
        db.rollback()
        found = _existing(db, user_id, idempotency_key)
        if found is None:
            raise
        return _replay(found, req_hash), True
    record_event(db, "order.created", order.id, _event_payload(order))
    db.commit()
    metrics.ORDERS_CREATED.inc()
    log.info("order created", extra={"order_id": order.id, "total_cents": total})
    return order, False


def get_own_order(db: Session, user_id: str, order_id: str) -> Order:
    """The caller's order; 404 for a missing one or anyone else's."""
    order = db.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise AppError(404, "not_found", "Order not found")
    return order


def list_orders(db: Session, user_id: str, limit: int, offset: int) -> tuple[list[Order], int]:
    """The caller's orders, newest first."""
    total = db.scalar(select(func.count()).select_from(Order).where(Order.user_id == user_id))
    rows = db.scalars(
        select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


def _state_conflict(order: Order) -> AppError:
    messages = {
        "paid": ("already_paid", "Order is already paid"),
        "cancelled": ("order_cancelled", "Order is cancelled"),
        "paying": ("payment_in_progress", "A payment for this order is in progress"),
    }
    code, message = messages.get(order.status, ("invalid_state", "Order cannot be changed"))
    return AppError(409, code, message)


def pay_order(
    sessions: sessionmaker[Session],
    provider: SimulatedPaymentProvider,
    user_id: str,
    order_id: str,
) -> Order:
    """Charge a pending order.

    The order is first moved to ``paying`` in its own transaction so two concurrent pay calls
    cannot both charge; the (slow) provider call then runs with no transaction open.
    """
    with sessions() as db:
        order = get_own_order(db, user_id, order_id)
        claimed = rowcount(
            db.execute(
                update(Order)
                .where(Order.id == order_id, Order.status == "pending")
                .values(status="paying")
            )
        )
        db.commit()
        if not claimed:
            db.refresh(order)
            raise _state_conflict(order)
        amount = order.total_cents
    try:
        ref = provider.charge(order_id, amount)
    except PaymentDeclined as exc:
        with sessions() as db:
            db.execute(update(Order).where(Order.id == order_id).values(status="pending"))
            db.commit()
        metrics.PAYMENTS_FAILED.inc()
        log.info("payment declined", extra={"order_id": order_id})
        raise AppError(402, "payment_declined", "Payment was declined; please retry") from exc
    except BaseException:
        with sessions() as db:
            db.execute(update(Order).where(Order.id == order_id).values(status="pending"))
            db.commit()
        raise
    with sessions() as db:
        order = get_own_order(db, user_id, order_id)
        order.status = "paid"
        order.paid_at = utcnow()
        order.payment_ref = ref
        record_event(db, "order.paid", order.id, _event_payload(order))
        db.commit()
        db.refresh(order)
    metrics.ORDERS_PAID.inc()
    metrics.REVENUE.inc(amount / 100)
    log.info("order paid", extra={"order_id": order_id, "total_cents": amount})
    return order


def cancel_order(db: Session, user_id: str, order_id: str) -> Order:
    """Cancel a pending order and put its items back in stock."""
    order = get_own_order(db, user_id, order_id)
    cancelled = rowcount(
        db.execute(
            update(Order)
            .where(Order.id == order_id, Order.status == "pending")
            .values(status="cancelled", cancelled_at=utcnow())
        )
    )
    if not cancelled:
        db.rollback()
        db.refresh(order)
        raise _state_conflict(order)
    for item in order.items:
        db.execute(
            update(Product)
            .where(Product.id == item.product_id)
            .values(stock=Product.stock + item.quantity)
        )
    db.refresh(order)
    record_event(db, "order.cancelled", order.id, _event_payload(order))
    db.commit()
    metrics.ORDERS_CANCELLED.inc()
    log.info("order cancelled", extra={"order_id": order_id})
    return order
