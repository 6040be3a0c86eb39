"""Order endpoints and the caller's notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from sqlalchemy import select

from storefront.api.deps import Ctx, CurrentUser, Db, ReleasingRoute
from storefront.models import Notification
from storefront.schemas import NotificationOut, OrderIn, OrderOut, OrderPage
from storefront.services import orders as svc

router = APIRouter(tags=["orders"], route_class=ReleasingRoute)

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Client-chosen unique key; retrying with the same key returns the same order.",
    ),
]
OrderId = Annotated[str, Path(min_length=1, max_length=36)]
_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "Not authenticated"}}


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderOut,
    responses={**_AUTH, 200: {"description": "Replay of an earlier request"}, 404: {}, 409: {}},
)
def create_order(
    body: OrderIn,
    idempotency_key: IdempotencyKey,
    user: CurrentUser,
    ctx: Ctx,
    db: Db,
    response: Response,
) -> OrderOut:
    """Create an order and reserve stock. The ``Idempotency-Key`` header is required."""
    order, replayed = svc.create_order(db, user.id, body.items, idempotency_key)
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    else:
        ctx.dispatcher.notify()
    return OrderOut.model_validate(order)


@router.get("/orders", response_model=OrderPage, responses=_AUTH)
def list_orders(
    user: CurrentUser,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> OrderPage:
    """The caller's orders, newest first."""
    rows, total = svc.list_orders(db, user.id, limit, offset)
    return OrderPage(
        items=[OrderOut.model_validate(o) for o in rows], total=total, limit=limit, offset=offset
    )


@router.get("/orders/{order_id}", response_model=OrderOut, responses={**_AUTH, 404: {}})
def get_order(order_id: OrderId, user: CurrentUser, db: Db) -> OrderOut:
    """One of the caller's orders."""
    return OrderOut.model_validate(svc.get_own_order(db, user.id, order_id))


@router.post(
    "/orders/{order_id}/pay",
    response_model=OrderOut,
    responses={**_AUTH, 402: {"description": "Payment declined"}, 404: {}, 409: {}},
)
def pay_order(order_id: OrderId, user: CurrentUser, ctx: Ctx) -> OrderOut:
    """Pay a pending order through the (simulated) payment provider."""
    order = svc.pay_order(ctx.sessions, ctx.payments, user.id, order_id)
    ctx.dispatcher.notify()
    return OrderOut.model_validate(order)


@router.post(
    "/orders/{order_id}/cancel", response_model=OrderOut, responses={**_AUTH, 404: {}, 409: {}}
)
def cancel_order(order_id: OrderId, user: CurrentUser, ctx: Ctx, db: Db) -> OrderOut:
    """Cancel a pending order; its items go back in stock."""
    order = svc.cancel_order(db, user.id, order_id)
    ctx.dispatcher.notify()
    return OrderOut.model_validate(order)


@router.get("/notifications", response_model=list[NotificationOut], responses=_AUTH)
def notifications(
    user: CurrentUser, db: Db, limit: Annotated[int, Query(ge=1, le=100)] = 50
) -> list[NotificationOut]:
    """Messages produced for the caller by the event consumers, newest first."""
    rows = db.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return [NotificationOut.model_validate(n) for n in rows]
