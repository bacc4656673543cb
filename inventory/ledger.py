"""Rebuilding stock figures from the movement ledger and the allocations, to find drift."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.models import Allocation, AllocationStatus, StockLevel, StockMovement, Warehouse
from shopcore.models import Product


@dataclass(frozen=True)
class Drift:
    """A stock level whose figures differ from what the ledger and allocations say."""

    sku: str
    warehouse: str
    on_hand: int
    ledger_on_hand: int
    allocated: int
    ledger_allocated: int
    allocation_rows: int

    def describe(self) -> str:
        return (
            f"{self.sku} @ {self.warehouse}: on_hand {self.on_hand} (ledger "
            f"{self.ledger_on_hand}), allocated {self.allocated} (ledger "
            f"{self.ledger_allocated}, allocation rows {self.allocation_rows})"
        )


def find_drift(session: Session) -> list[Drift]:
    """Every level whose on_hand or allocated disagrees with its movements or allocations."""
    moved = (
        select(
            StockMovement.product_id,
            StockMovement.warehouse_id,
            func.sum(StockMovement.on_hand_delta).label("on_hand"),
            func.sum(StockMovement.allocated_delta).label("allocated"),
        )
        .group_by(StockMovement.product_id, StockMovement.warehouse_id)
        .subquery()
    )
    held = (
        select(
            Allocation.product_id,
            Allocation.warehouse_id,
            func.sum(Allocation.quantity).label("quantity"),
        )
        .where(Allocation.status == AllocationStatus.ACTIVE)
        .group_by(Allocation.product_id, Allocation.warehouse_id)
        .subquery()
    )
    ledger_on_hand = func.coalesce(moved.c.on_hand, 0)
    ledger_allocated = func.coalesce(moved.c.allocated, 0)
    rows_allocated = func.coalesce(held.c.quantity, 0)
    query = (
        select(
            Product.sku,
            Warehouse.code,
            StockLevel.on_hand,
            ledger_on_hand,
            StockLevel.allocated,
            ledger_allocated,
            rows_allocated,
        )
        .join(Product, Product.id == StockLevel.product_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .outerjoin(
            moved,
            (moved.c.product_id == StockLevel.product_id)
            & (moved.c.warehouse_id == StockLevel.warehouse_id),
        )
        .outerjoin(
            held,
            (held.c.product_id == StockLevel.product_id)
            & (held.c.warehouse_id == StockLevel.warehouse_id),
        )
        .where(
            (StockLevel.on_hand != ledger_on_hand)
            | (StockLevel.allocated != ledger_allocated)
            | (StockLevel.allocated != rows_allocated)
        )
        .order_by(Product.sku, Warehouse.code)
    )
    return [Drift(*row) for row in session.execute(query)]
