"""The admin's order reads: a filtered page of orders, and one order with its stock story."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, defer, selectinload

from inventory.models import Allocation, StockMovement, Warehouse
from shopcore.admin.paging import Cursor, Page, keyset_page
from shopcore.enums import Channel, IdentityKind, OrderStatus
from shopcore.identity import normalize_email
from shopcore.models import CustomerIdentity, Order, OrderLine, Product, Source, WebhookDelivery

# Bounds on what one order's page lists; real orders stay far below them.
MAX_ROWS = 500
MAX_DELIVERIES = 50
MAX_SOURCES = 500


@dataclass(frozen=True)
class OrderFilter:
    """What the order list is narrowed to; None: no condition on that field."""

    channel: Channel | None = None
    status: OrderStatus | None = None
    source_id: int | None = None
    placed_from: datetime | None = None
    placed_before: datetime | None = None
    # The customers an email belongs to; an empty list matches no order.
    customer_ids: list[int] | None = None


@dataclass(frozen=True)
class OrderStory:
    """One order and what happened to its stock and its webhooks."""

    order: Order
    allocations: list[Any]
    movements: list[Any]
    deliveries: list[WebhookDelivery]


def find_orders(session: Session, wanted: OrderFilter, cursor: Cursor, *, size: int) -> Page:
    """A page of orders matching ``wanted``, newest first."""
    return keyset_page(session, _filtered(wanted), Order.id, cursor, size=size, descending=True)


def _filtered(wanted: OrderFilter) -> Select[Any]:
    query = select(Order).options(
        selectinload(Order.source), selectinload(Order.customer), selectinload(Order.lines)
    )
    if wanted.channel is not None:
        query = query.where(Order.channel == wanted.channel)
    if wanted.status is not None:
        query = query.where(Order.status == wanted.status)
    if wanted.source_id is not None:
        query = query.where(Order.source_id == wanted.source_id)
    if wanted.placed_from is not None:
        query = query.where(Order.placed_at >= wanted.placed_from)
    if wanted.placed_before is not None:
        query = query.where(Order.placed_at < wanted.placed_before)
    if wanted.customer_ids is not None:
        query = query.where(Order.customer_id.in_(wanted.customer_ids))
    return query


def customers_with_email(session: Session, email: str) -> list[int] | None:
    """The ids of customers known by ``email``; None when it is not an email address."""
    address = normalize_email(email)
    if address is None:
        return None
    return list(
        session.scalars(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == IdentityKind.EMAIL,
                CustomerIdentity.scope == "",
                CustomerIdentity.value == address,
            )
        )
    )


def source_id(session: Session, name: str) -> int | None:
    return session.scalar(select(Source.id).where(Source.name == name))


def sources(session: Session) -> list[Source]:
    """Every source, by name, for the filter's choices."""
    return list(session.scalars(select(Source).order_by(Source.name).limit(MAX_SOURCES)))


def order_story(session: Session, order_id: int) -> OrderStory | None:
    """The order with its lines, allocations, stock movements and webhook deliveries."""
    order = session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.source),
            selectinload(Order.customer),
            selectinload(Order.lines).selectinload(OrderLine.product),
        )
    )
    if order is None:
        return None
    allocations = session.execute(
        select(Allocation, OrderLine.sku, Warehouse.code)
        .join(OrderLine, OrderLine.id == Allocation.order_line_id)
        .join(Warehouse, Warehouse.id == Allocation.warehouse_id)
        .where(Allocation.order_id == order_id)
        .order_by(Allocation.order_line_id, Allocation.id)
        .limit(MAX_ROWS)
    ).all()
    movements = session.execute(
        select(StockMovement, Product.sku, Warehouse.code)
        .join(Product, Product.id == StockMovement.product_id)
        .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .where(StockMovement.order_id == order_id)
        .order_by(StockMovement.id)
        .limit(MAX_ROWS)
    ).all()
    deliveries = session.scalars(
        select(WebhookDelivery)
        # The source narrows the scan to its own deliveries (the unique key leads with it).
        .where(WebhookDelivery.source_id == order.source_id, WebhookDelivery.order_id == order_id)
        .options(defer(WebhookDelivery.body), defer(WebhookDelivery.headers))
        .order_by(WebhookDelivery.id.desc())
        .limit(MAX_DELIVERIES)
    ).all()
    return OrderStory(order, list(allocations), list(movements), list(deliveries))
