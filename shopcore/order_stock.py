"""An order's stock: allocating, releasing and shipping what its lines hold.

The mechanics under ``shopcore.ordering``: these functions change one order's lines and
the stock behind them, flush, and leave the transaction to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from inventory.models import Allocation, AllocationStatus
from inventory.publishing import publish_after_commit
from inventory.stock import (
    LineToAllocate,
    allocate_lines,
    release_allocations,
    ship_allocations,
)
from shopcore.canonical import CanonicalLine, CanonicalOrder
from shopcore.enums import LineStatus, OrderStatus
from shopcore.models import Order, OrderLine

CANCELLED = LineStatus.CANCELLED
OPEN_LINES = (LineStatus.AWAITING_STOCK, LineStatus.ALLOCATED)
SHORT_LINES = (LineStatus.AWAITING_STOCK, LineStatus.UNKNOWN_SKU)
LIVE = (OrderStatus.PENDING, OrderStatus.ALLOCATED, OrderStatus.AWAITING_STOCK)
ENDED = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


def allocate_waiting(
    session: Session, product_ids: Iterable[int], *, limit: int = 500
) -> list[int]:
    """Allocate orders waiting for these products, first come first served.

    Returns the ids of the orders that got stock.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return []
    waiting = session.scalars(
        select(Order)
        .where(
            Order.status == OrderStatus.AWAITING_STOCK,
            Order.id.in_(
                select(OrderLine.order_id).where(
                    OrderLine.product_id.in_(ids),
                    OrderLine.status == LineStatus.AWAITING_STOCK,
                )
            ),
        )
        .order_by(Order.placed_at, Order.id)
        .limit(limit)
        .with_for_update()
        .options(selectinload(Order.lines))
    ).all()
    served = []
    for order in waiting:
        if allocate_order(session, order, partial=True):
            served.append(order.id)
    return served


def lines_for(lines: Iterable[CanonicalLine], products: Mapping[str, int]) -> list[OrderLine]:
    return [
        OrderLine(
            sku=line.sku,
            product_id=products.get(line.sku),
            quantity=line.quantity,
            unit_price=line.unit_price,
            total=line.total,
            status=LineStatus.AWAITING_STOCK if line.sku in products else LineStatus.UNKNOWN_SKU,
        )
        for line in lines
    ]


def apply_lines(
    session: Session,
    record: Order,
    order: CanonicalOrder,
    products: Mapping[str, int],
    *,
    reopen: bool = False,
) -> None:
    """Edit the lines in place, position by position, releasing what a line no longer needs.

    Lines are kept (cancelled, not deleted) so the allocations and movements that name them
    still explain the stock.
    """
    active = [x for x in record.lines if x.status != CANCELLED or reopen]
    released: list[int] = []
    for index, wanted in enumerate(order.lines):
        line = active[index] if index < len(active) else None
        if line is not None and line.sku == wanted.sku:
            if wanted.quantity < line.quantity or reopen:
                released.append(line.id)
            resize_line(line, wanted.quantity)
            line.unit_price, line.total = wanted.unit_price, wanted.total
            if reopen and line.product_id is not None:
                line.status = LineStatus.AWAITING_STOCK
            continue
        if line is not None:
            released.append(line.id)
            line.status = CANCELLED
        record.lines.extend(lines_for([wanted], products))
    for line in active[len(order.lines) :]:
        released.append(line.id)
        line.status = CANCELLED
    session.flush()
    freed = release_allocations(session, record.id, line_ids=released) if released else set()
    allocate_waiting(session, freed)
    publish(session, freed)


def resize_line(line: OrderLine, quantity: int) -> None:
    if quantity <= 0:
        line.status = CANCELLED
        return
    line.quantity = quantity
    line.total = line.unit_price * quantity


def follow_status(
    session: Session, record: Order, status: OrderStatus, *, fresh: bool = False
) -> None:
    """Make a live order's stock match what the platform says about it."""
    if status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        release_order(session, record, status)
        return
    allocate_order(session, record, partial=True, fresh=fresh)
    if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        ship_order_stock(session, record)
        record.status = status


def allocate_order(session: Session, order: Order, *, partial: bool, fresh: bool = False) -> bool:
    """Allocate what the order's lines still lack; True when anything was allocated.

    ``fresh``: the order was created in this transaction, so it holds nothing yet.
    """
    held = {} if fresh else held_by_line(session, order.id)
    wanted = [
        LineToAllocate(line.id, line.product_id, line.sku, line.quantity - held.get(line.id, 0))
        for line in order.lines
        if line.product_id is not None
        and line.status in OPEN_LINES
        and line.quantity > held.get(line.id, 0)
    ]
    plan = allocate_lines(
        session,
        order_id=order.id,
        channel=order.channel,
        warehouse_id=order.warehouse_id,
        lines=wanted,
        partial=partial,
    )
    for line in order.lines:
        if line.status in OPEN_LINES and line.product_id is not None:
            done = held.get(line.id, 0) + plan.allocated(line.id)
            line.status = (
                LineStatus.ALLOCATED if done >= line.quantity else LineStatus.AWAITING_STOCK
            )
    short = any(line.status in SHORT_LINES for line in order.lines)
    order.status = OrderStatus.AWAITING_STOCK if short else OrderStatus.ALLOCATED
    if plan.picks:
        publish(session, {line.product_id for line in wanted})
    return bool(plan.picks)


def release_order(session: Session, order: Order, status: OrderStatus) -> None:
    freed = release_allocations(session, order.id)
    for line in order.lines:
        if line.status in OPEN_LINES:
            line.status = CANCELLED
    order.status = status
    session.flush()
    allocate_waiting(session, freed)
    publish(session, freed)


def ship_order_stock(session: Session, order: Order) -> None:
    shipped = ship_allocations(session, order.id)
    for line in order.lines:
        if line.status == LineStatus.ALLOCATED:
            line.status = LineStatus.SHIPPED
    order.status = OrderStatus.SHIPPED
    publish(session, shipped)


def held_by_line(session: Session, order_id: int) -> dict[int, int]:
    rows = session.execute(
        select(Allocation.order_line_id, func.sum(Allocation.quantity))
        .where(Allocation.order_id == order_id, Allocation.status == AllocationStatus.ACTIVE)
        .group_by(Allocation.order_line_id)
    )
    return {line_id: int(quantity) for line_id, quantity in rows}


def shipped_from(session: Session, line_id: int) -> int | None:
    return session.scalar(
        select(Allocation.warehouse_id)
        .where(Allocation.order_line_id == line_id, Allocation.status == AllocationStatus.SHIPPED)
        .order_by(Allocation.id)
        .limit(1)
    )


def publish(session: Session, product_ids: Iterable[int | None]) -> None:
    publish_after_commit(session, product_ids)
