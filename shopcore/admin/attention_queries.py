"""What needs someone's attention: orders short of stock or stuck, and rejected webhooks.

Each list is counted in full and shown in part (the oldest orders, the newest deliveries),
read through the indexes on ``orders.status`` and ``webhook_deliveries (status,
received_at)``. Orders in those statuses are the few still moving, not the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, defer, selectinload

from shopcore.enums import DeliveryStatus, OrderStatus
from shopcore.models import Order, WebhookDelivery

T = TypeVar("T")

SHOWN = 10
# How long an order may sit unchanged in a status before it is called stuck.
STUCK_AFTER = {
    OrderStatus.PENDING: timedelta(days=1),
    OrderStatus.ALLOCATED: timedelta(days=3),
}


@dataclass(frozen=True)
class Few(Generic[T]):
    """How many rows match, and the first ``SHOWN`` of them."""

    total: int
    rows: list[T]


@dataclass(frozen=True)
class Stuck:
    status: OrderStatus
    after: timedelta
    orders: Few[Order]


@dataclass(frozen=True)
class Attention:
    awaiting_stock: Few[Order]
    stuck: list[Stuck]
    rejected: Few[WebhookDelivery]

    @property
    def total(self) -> int:
        stuck = sum(s.orders.total for s in self.stuck)
        return self.awaiting_stock.total + stuck + self.rejected.total


def attention(session: Session, now: datetime) -> Attention:
    """Orders awaiting stock, orders unchanged too long, and rejected deliveries."""
    awaiting = _orders(session, Order.status == OrderStatus.AWAITING_STOCK, Order.placed_at)
    stuck = [
        Stuck(
            status,
            after,
            _orders(
                session,
                (Order.status == status) & (Order.updated_at < now - after),
                Order.updated_at,
            ),
        )
        for status, after in STUCK_AFTER.items()
    ]
    return Attention(awaiting, stuck, _rejected(session))


def _orders(session: Session, where: ColumnElement[bool], oldest: Any) -> Few[Order]:
    total = session.scalar(select(func.count(Order.id)).where(where)) or 0
    rows = session.scalars(
        select(Order)
        .where(where)
        .options(selectinload(Order.customer), selectinload(Order.source))
        .order_by(oldest, Order.id)
        .limit(SHOWN)
    )
    return Few(total, list(rows))


def _rejected(session: Session) -> Few[WebhookDelivery]:
    rejected = WebhookDelivery.status == DeliveryStatus.REJECTED
    total = session.scalar(select(func.count(WebhookDelivery.id)).where(rejected)) or 0
    rows = session.scalars(
        select(WebhookDelivery)
        .where(rejected)
        .options(
            defer(WebhookDelivery.body),
            defer(WebhookDelivery.headers),
            selectinload(WebhookDelivery.source),
        )
        .order_by(WebhookDelivery.received_at.desc(), WebhookDelivery.id.desc())
        .limit(SHOWN)
    )
    return Few(total, list(rows))
