"""Changing stock levels, always through a movement row so every figure can be explained."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import MovementKind, StockLevel, StockMovement


def set_on_hand(
    session: Session, product_id: int, warehouse_id: int, on_hand: int, *, note: str | None = None
) -> StockMovement | None:
    """Record a count: set ``on_hand`` and write the difference as a movement.

    Returns the movement, or None when the count matches what the books say. A count below
    what is already allocated is refused by the database (available may never go negative).
    """
    if on_hand < 0:
        raise ValueError("on_hand cannot be negative")
    level = session.scalar(
        select(StockLevel)
        .where(StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id)
        .with_for_update()
    )
    if level is None:
        level = StockLevel(product_id=product_id, warehouse_id=warehouse_id, on_hand=0, allocated=0)
        session.add(level)
    delta = on_hand - level.on_hand
    if delta == 0:
        return None
    level.on_hand = on_hand
    movement = StockMovement(
        product_id=product_id,
        warehouse_id=warehouse_id,
        kind=MovementKind.COUNT,
        on_hand_delta=delta,
        note=note,
    )
    session.add(movement)
    return movement
