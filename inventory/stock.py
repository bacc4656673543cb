"""Changing stock levels, always through a movement row so every figure can be explained.

Concurrency: every function here locks the stock rows it reads in one fixed order (product,
then warehouse) and changes them with guarded updates, so two orders for the last unit can
never both get it. A guarded update that finds less than was read raises ``Conflict``: the
caller runs the transaction again (``shopcore.transactions.run_in_transaction``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inventory.allocation import LineRequest, Plan, StockView, choose_warehouses
from inventory.models import (
    Allocation,
    AllocationStatus,
    MovementKind,
    StockLevel,
    StockMovement,
    Warehouse,
    WarehouseChannel,
)
from shopcore.enums import Channel
from shopcore.transactions import Conflict


@dataclass(frozen=True)
class LineToAllocate:
    line_id: int
    product_id: int
    sku: str
    quantity: int


def allocate_lines(
    session: Session,
    *,
    order_id: int,
    channel: Channel,
    warehouse_id: int | None,
    lines: Sequence[LineToAllocate],
    partial: bool,
) -> Plan:
    """Allocate ``lines`` of one order from the warehouses serving its channel.

    All-or-nothing unless ``partial``: raises InsufficientStock with every shortage.
    """
    if not lines:
        return Plan([], [])
    product_ids = sorted({line.product_id for line in lines})
    levels = _lock_eligible_levels(session, product_ids, channel, warehouse_id)
    sku_of = {line.product_id: line.sku for line in lines}
    product_of = {line.sku: line.product_id for line in lines}
    by_code = {code: w for _, _, w, _, _, code, _ in levels}
    views = [
        StockView(code, priority, sku_of[p], on_hand - allocated)
        for _, p, _, on_hand, allocated, code, priority in levels
    ]
    plan = choose_warehouses(
        [LineRequest(line.line_id, line.sku, line.quantity) for line in lines],
        views,
        partial=partial,
    )
    level_of = {(p, w): level_id for level_id, p, w, *_ in levels}
    for pick in plan.picks:
        product_id, wid = product_of[pick.sku], by_code[pick.warehouse]
        _guarded_change(session, level_of[product_id, wid], allocated=pick.quantity)
        session.add(
            Allocation(
                order_id=order_id,
                order_line_id=pick.line,
                product_id=product_id,
                warehouse_id=wid,
                quantity=pick.quantity,
                status=AllocationStatus.ACTIVE,
            )
        )
        session.add(
            StockMovement(
                product_id=product_id,
                warehouse_id=wid,
                kind=MovementKind.ALLOCATION,
                allocated_delta=pick.quantity,
                order_id=order_id,
            )
        )
    return plan


def release_allocations(
    session: Session, order_id: int, *, line_ids: Sequence[int] | None = None
) -> set[int]:
    """Give back what an order (or some of its lines) holds; returns the products freed."""
    return _settle(session, order_id, line_ids, shipped=False)


def ship_allocations(session: Session, order_id: int) -> set[int]:
    """Units an order holds leave the warehouse: on hand and allocated both go down."""
    return _settle(session, order_id, None, shipped=True)


def receive(
    session: Session,
    product_id: int,
    warehouse_id: int,
    quantity: int,
    *,
    kind: MovementKind = MovementKind.RECEIPT,
    note: str | None = None,
) -> StockMovement:
    """Add (or, with a negative quantity, take away) units on hand."""
    level_id, on_hand, allocated = _lock_level(session, product_id, warehouse_id)
    if on_hand + quantity < allocated:
        raise ValueError(f"only {on_hand - allocated} available, cannot take {-quantity} away")
    _guarded_change(session, level_id, on_hand=quantity)
    movement = StockMovement(
        product_id=product_id,
        warehouse_id=warehouse_id,
        kind=kind,
        on_hand_delta=quantity,
        note=note,
    )
    session.add(movement)
    return movement


def set_on_hand(
    session: Session, product_id: int, warehouse_id: int, on_hand: int, *, note: str | None = None
) -> StockMovement | None:
    """Record a count: set ``on_hand`` and write the difference as a movement.

    Returns the movement, or None when the count matches what the books say. A count below
    what is already allocated is refused (available may never go negative).
    """
    if on_hand < 0:
        raise ValueError("on_hand cannot be negative")
    _, current, _ = _lock_level(session, product_id, warehouse_id)
    if on_hand == current:
        return None
    return receive(
        session, product_id, warehouse_id, on_hand - current, kind=MovementKind.COUNT, note=note
    )


def transfer(
    session: Session, product_id: int, source_id: int, target_id: int, quantity: int
) -> None:
    """Move available units from one warehouse to another."""
    if quantity <= 0 or source_id == target_id:
        raise ValueError("a transfer moves a positive quantity between two warehouses")
    first, second = sorted([(source_id, -quantity), (target_id, quantity)])
    for warehouse_id, delta in (first, second):
        receive(session, product_id, warehouse_id, delta, kind=MovementKind.TRANSFER)


def _lock_eligible_levels(
    session: Session, product_ids: list[int], channel: Channel, warehouse_id: int | None
) -> list[tuple[int, int, int, int, int, str, int]]:
    """Lock the stock of these products in the warehouses an order may use, in fixed order.

    Rows: level id, product id, warehouse id, on hand, allocated, warehouse code, priority.
    """
    query = (
        select(
            StockLevel.id,
            StockLevel.product_id,
            StockLevel.warehouse_id,
            StockLevel.on_hand,
            StockLevel.allocated,
            Warehouse.code,
            Warehouse.priority,
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.product_id.in_(product_ids))
        .order_by(StockLevel.product_id, StockLevel.warehouse_id)
        .with_for_update(of=StockLevel)
    )
    if warehouse_id is not None:
        query = query.where(StockLevel.warehouse_id == warehouse_id)
    else:
        query = query.join(
            WarehouseChannel,
            (WarehouseChannel.warehouse_id == Warehouse.id) & (WarehouseChannel.channel == channel),
        )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def _lock_levels(
    session: Session, product_ids: list[int], warehouse_ids: list[int]
) -> list[tuple[int, int, int, int, int]]:
    if not warehouse_ids or not product_ids:
        return []
    rows = session.execute(
        select(
            StockLevel.id,
            StockLevel.product_id,
            StockLevel.warehouse_id,
            StockLevel.on_hand,
            StockLevel.allocated,
        )
        .where(
            StockLevel.product_id.in_(product_ids),
            StockLevel.warehouse_id.in_(warehouse_ids),
        )
        .order_by(StockLevel.product_id, StockLevel.warehouse_id)
        .with_for_update()
    )
    return [(a, b, c, d, e) for a, b, c, d, e in rows]


def _lock_level(session: Session, product_id: int, warehouse_id: int) -> tuple[int, int, int]:
    """Lock one level, creating it empty first if it does not exist yet (race-free)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(StockLevel)
        .values(product_id=product_id, warehouse_id=warehouse_id, on_hand=0, allocated=0)
        .on_conflict_do_nothing(index_elements=["product_id", "warehouse_id"])
    )
    level_id, on_hand, allocated = session.execute(
        select(StockLevel.id, StockLevel.on_hand, StockLevel.allocated)
        .where(StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id)
        .with_for_update()
    ).one()
    return level_id, on_hand, allocated


def _guarded_change(
    session: Session, level_id: int, *, on_hand: int = 0, allocated: int = 0
) -> None:
    """Change one level only if availability stays non-negative; else it changed under us."""
    new_available = (StockLevel.on_hand + on_hand) - (StockLevel.allocated + allocated)
    # Core, not an ORM-enabled UPDATE: no objects to synchronise, and a third of the cost.
    result = session.connection().execute(
        update(StockLevel)
        .where(StockLevel.id == level_id, new_available >= 0, StockLevel.allocated + allocated >= 0)
        .values(on_hand=StockLevel.on_hand + on_hand, allocated=StockLevel.allocated + allocated)
    )
    if result.rowcount != 1:
        raise Conflict(f"stock level {level_id} changed while it was being allocated")


def _settle(
    session: Session, order_id: int, line_ids: Sequence[int] | None, *, shipped: bool
) -> set[int]:
    query = (
        select(Allocation)
        .where(Allocation.order_id == order_id, Allocation.status == AllocationStatus.ACTIVE)
        .order_by(Allocation.product_id, Allocation.warehouse_id, Allocation.id)
        .with_for_update()
    )
    if line_ids is not None:
        query = query.where(Allocation.order_line_id.in_(line_ids))
    allocations = list(session.scalars(query))
    levels = _lock_levels(
        session,
        sorted({a.product_id for a in allocations}),
        sorted({a.warehouse_id for a in allocations}),
    )
    level_of = {(p, w): level_id for level_id, p, w, _, _ in levels}
    for allocation in allocations:
        quantity = allocation.quantity
        _guarded_change(
            session,
            level_of[allocation.product_id, allocation.warehouse_id],
            allocated=-quantity,
            on_hand=-quantity if shipped else 0,
        )
        allocation.status = AllocationStatus.SHIPPED if shipped else AllocationStatus.RELEASED
        session.add(
            StockMovement(
                product_id=allocation.product_id,
                warehouse_id=allocation.warehouse_id,
                kind=MovementKind.SHIPMENT if shipped else MovementKind.RELEASE,
                allocated_delta=-quantity,
                on_hand_delta=-quantity if shipped else 0,
                order_id=order_id,
            )
        )
    return {a.product_id for a in allocations}
