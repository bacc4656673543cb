"""Live orders: placing, accepting from stores, cancelling, shipping and restocking.

History (CSV imports) is recorded by ``shopcore.orders``; this module is for orders that
hold stock. Every function takes a session, flushes, and leaves the commit to its caller,
which runs it through ``shopcore.transactions.run_in_transaction`` so that a deadlock or a
lost race (``Conflict``) is simply run again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from inventory.models import Allocation, AllocationStatus, MovementKind, Warehouse
from inventory.stock import (
    receive,
    release_allocations,
)
from shopcore.canonical import CanonicalOrder
from shopcore.customers import ContactDetails, match_customer
from shopcore.enums import Channel, LineStatus, OrderStatus
from shopcore.models import Customer, Order, OrderLine, Source
from shopcore.order_stock import (
    CANCELLED,
    ENDED,
    LIVE,
    OPEN_LINES,
    allocate_order,
    allocate_waiting,
    apply_lines,
    follow_status,
    lines_for,
    publish,
    release_order,
    resize_line,
    ship_order_stock,
    shipped_from,
)
from shopcore.orders import UnknownWarehouse, find_product_ids, refresh_customer_totals


@dataclass(frozen=True)
class IncomingOrder:
    """An order as a store reports it: the canonical order and the platform's view of it."""

    order: CanonicalOrder
    # The platform's state mapped to ours: PENDING (open, paid, processing, on-hold: still
    # to be fulfilled), SHIPPED (fulfilled, completed), CANCELLED, REFUNDED.
    status: OrderStatus = OrderStatus.PENDING
    is_test: bool = False
    # The platform's own updated-at: an older version never overwrites a newer one.
    version: datetime | None = None
    customer_external_id: str | None = None


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"


@dataclass(frozen=True)
class Accepted:
    order: Order
    outcome: Outcome


class OrderExists(ValueError):
    """An order with this source, channel and external id is already there."""

    def __init__(self, order_id: int) -> None:
        super().__init__(f"order {order_id} already exists")
        self.order_id = order_id


class UnknownSkus(ValueError):
    """The order names SKUs Shopcore does not know."""

    def __init__(self, skus: list[str]) -> None:
        super().__init__(f"unknown SKUs: {', '.join(skus)}")
        self.skus = skus


class InvalidTransition(ValueError):
    """The order's status does not allow that (shipping a cancelled order, say)."""


class OrderNotFound(LookupError):
    """No order has that id."""


def find_order(
    session: Session, *, source_id: int, channel: Channel, external_id: str, lock: bool = False
) -> Order | None:
    """The order a store knows by ``external_id``; locked for update when ``lock``."""
    query = select(Order).where(
        Order.source_id == source_id, Order.channel == channel, Order.external_id == external_id
    )
    if lock:
        query = query.with_for_update()
    return session.scalar(query.options(selectinload(Order.lines)))


def place_order(
    session: Session, order: CanonicalOrder, *, source: Source, region: str | None
) -> Order:
    """A new order from the API, allocated all-or-nothing.

    Raises OrderExists, UnknownSkus, UnknownWarehouse or InsufficientStock; after an error
    the caller rolls back, so nothing of the order stays behind.
    """
    existing = find_order(
        session, source_id=source.id, channel=order.channel, external_id=order.external_id
    )
    if existing is not None:
        raise OrderExists(existing.id)
    products = find_product_ids(session, {line.sku for line in order.lines})
    unknown = sorted({line.sku for line in order.lines} - set(products))
    if unknown:
        raise UnknownSkus(unknown)
    record = _insert(session, order, IncomingOrder(order), source, region, products)
    allocate_order(session, record, partial=False, fresh=True)
    refresh_customer_totals(session, _customer_ids(record))
    return record


def accept_order(
    session: Session, incoming: IncomingOrder, *, source: Source, region: str | None
) -> Accepted:
    """Record an order a store reports (a sale that already happened), whatever its stock.

    A new order is allocated as far as stock goes; its other lines wait (``awaiting_stock``)
    or are marked ``unknown_sku``. A newer version of a known order updates it: cancelling
    releases its stock, changed lines are allocated afresh, a fulfilled order ships. An older
    version than the one recorded changes nothing (STALE). Test orders never touch stock.
    """
    order = incoming.order
    existing = find_order(
        session,
        source_id=source.id,
        channel=order.channel,
        external_id=order.external_id,
        lock=True,
    )
    products = find_product_ids(session, {line.sku for line in order.lines})
    if existing is None:
        record = _insert(session, order, incoming, source, region, products)
        if not incoming.is_test:
            follow_status(session, record, incoming.status, fresh=True)
        refresh_customer_totals(session, _customer_ids(record))
        return Accepted(record, Outcome.CREATED)
    if incoming.version is not None and existing.source_updated_at is not None:
        if incoming.version < existing.source_updated_at:
            return Accepted(existing, Outcome.STALE)
        if incoming.version == existing.source_updated_at:
            return Accepted(existing, Outcome.UNCHANGED)
    before = _customer_ids(existing)
    changed = _update(session, existing, incoming, source, region, products)
    refresh_customer_totals(session, before | _customer_ids(existing))
    return Accepted(existing, Outcome.UPDATED if changed else Outcome.UNCHANGED)


def cancel_order(session: Session, order_id: int) -> Order:
    """Cancel an order that has not shipped and give its stock to orders waiting for it."""
    order = _get(session, order_id)
    if order.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.REFUNDED):
        raise InvalidTransition(f"a {order.status.value} order cannot be cancelled")
    if order.status != OrderStatus.CANCELLED:
        release_order(session, order, OrderStatus.CANCELLED)
        refresh_customer_totals(session, _customer_ids(order))
    return order


def ship_order(session: Session, order_id: int) -> Order:
    """Ship an allocated order: its units leave the warehouses."""
    order = _get(session, order_id)
    if order.status == OrderStatus.SHIPPED:
        return order
    if order.status != OrderStatus.ALLOCATED:
        raise InvalidTransition(f"only allocated orders ship; this one is {order.status.value}")
    ship_order_stock(session, order)
    return order


def restock(session: Session, order: Order, quantities: Mapping[str, int]) -> None:
    """Refunded units come back: into the warehouse they shipped from, or off the order."""
    reduced = False
    for line in order.lines:
        quantity = min(quantities.get(line.sku, 0), line.quantity)
        if quantity <= 0 or line.product_id is None:
            continue
        warehouse_id = shipped_from(session, line.id)
        if warehouse_id is not None:
            receive(
                session,
                line.product_id,
                warehouse_id,
                quantity,
                kind=MovementKind.RECEIPT,
                note=f"refund of order {order.id}",
            )
        elif line.status in OPEN_LINES:
            release_allocations(session, order.id, line_ids=[line.id])
            resize_line(line, line.quantity - quantity)
            reduced = True
    session.flush()
    if reduced and order.status in LIVE:
        allocate_order(session, order, partial=True)
    products = {line.product_id for line in order.lines if line.product_id is not None}
    allocate_waiting(session, products)
    publish(session, products)


def allocations_of(session: Session, order_id: int) -> list[dict[str, Any]]:
    """What an order holds or shipped, per SKU and warehouse."""
    rows = session.execute(
        select(OrderLine.sku, Warehouse.code, func.sum(Allocation.quantity))
        .join(OrderLine, OrderLine.id == Allocation.order_line_id)
        .join(Warehouse, Warehouse.id == Allocation.warehouse_id)
        .where(
            Allocation.order_id == order_id,
            Allocation.status.in_([AllocationStatus.ACTIVE, AllocationStatus.SHIPPED]),
        )
        .group_by(OrderLine.sku, Warehouse.code)
        .order_by(OrderLine.sku, Warehouse.code)
    )
    return [{"sku": sku, "warehouse": code, "quantity": int(q)} for sku, code, q in rows]


def _get(session: Session, order_id: int) -> Order:
    order = session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .options(selectinload(Order.lines))
    )
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    return order


def _customer_ids(order: Order) -> set[int]:
    return {order.customer_id} if order.customer_id is not None else set()


def _customer(
    session: Session, incoming: IncomingOrder, source: Source, region: str | None
) -> Customer | None:
    c = incoming.order.customer
    if c is None and incoming.customer_external_id is None:
        return None
    details = ContactDetails(
        email=c.email if c else None,
        phone=c.phone if c else None,
        first_name=c.first_name if c else None,
        last_name=c.last_name if c else None,
        company=c.company if c else None,
        accepts_marketing=c.accepts_marketing if c else None,
        external_id=incoming.customer_external_id,
    )
    return match_customer(
        session,
        details,
        source=source.name,
        region=incoming.order.country or region,
        seen_at=incoming.order.placed_at,
    )


def _insert(
    session: Session,
    order: CanonicalOrder,
    incoming: IncomingOrder,
    source: Source,
    region: str | None,
    products: Mapping[str, int],
) -> Order:
    customer = _customer(session, incoming, source, region)
    record = Order(
        source_id=source.id,
        channel=order.channel,
        external_id=order.external_id,
        customer_id=customer.id if customer else None,
        status=incoming.status if incoming.is_test else OrderStatus.PENDING,
        placed_at=order.placed_at,
        currency=order.currency,
        subtotal=order.subtotal,
        total=order.subtotal,
        is_test=incoming.is_test,
        warehouse_id=_warehouse_id(session, order.warehouse),
        shipping_address=order.shipping_address,
        source_updated_at=incoming.version,
        lines=lines_for(order.lines, products),
    )
    if incoming.is_test:
        for line in record.lines:
            line.status = LineStatus.HISTORY
    # If the same order arrives on another connection at once, this flush raises a unique
    # violation and run_in_transaction runs the work again, which then finds the order.
    session.add(record)
    session.flush()
    return record


def _update(
    session: Session,
    record: Order,
    incoming: IncomingOrder,
    source: Source,
    region: str | None,
    products: Mapping[str, int],
) -> bool:
    """Bring ``record`` to the incoming version; True when anything changed."""
    order = incoming.order
    customer = _customer(session, incoming, source, region)
    old = [(x.sku, x.quantity, x.unit_price) for x in record.lines if x.status != CANCELLED]
    new = [(x.sku, x.quantity, x.unit_price) for x in order.lines]
    status_before = record.status
    record.source_updated_at = incoming.version or record.source_updated_at
    record.customer_id = customer.id if customer else record.customer_id
    record.shipping_address = order.shipping_address
    record.subtotal = record.total = order.subtotal
    if record.is_test:
        record.status = incoming.status
    elif record.status in LIVE:
        if old != new:
            apply_lines(session, record, order, products)
        follow_status(session, record, incoming.status)
    elif incoming.status == OrderStatus.PENDING and record.status in ENDED:
        # Reopened on the platform: the order wants its stock again.
        apply_lines(session, record, order, products, reopen=True)
        follow_status(session, record, incoming.status)
    else:
        # Shipped orders only change their label now; stock comes back by refunds.
        record.status = incoming.status
    return old != new or record.status != status_before


def _warehouse_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    found = session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    if found is None:
        raise UnknownWarehouse(f"no warehouse {code!r}")
    return found
