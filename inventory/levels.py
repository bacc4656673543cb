"""Reading stock figures: one SKU across its warehouses, and totals for many SKUs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.models import StockLevel, Warehouse
from shopcore.models import Product


@dataclass(frozen=True)
class WarehouseStock:
    code: str
    on_hand: int
    allocated: int

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


@dataclass(frozen=True)
class SkuStock:
    """What every warehouse holding a SKU has of it, in allocation order."""

    sku: str
    warehouses: list[WarehouseStock]

    @property
    def available(self) -> int:
        return sum(w.available for w in self.warehouses)


def stock_of(session: Session, sku: str) -> SkuStock | None:
    """The SKU's stock per warehouse, or None when no product has that SKU."""
    product_id = session.scalar(select(Product.id).where(Product.sku == sku))
    if product_id is None:
        return None
    rows = session.execute(
        select(Warehouse.code, StockLevel.on_hand, StockLevel.allocated)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.product_id == product_id)
        .order_by(Warehouse.priority, Warehouse.code)
    )
    return SkuStock(
        sku, [WarehouseStock(code, on_hand, allocated) for code, on_hand, allocated in rows]
    )


def available_by_sku(session: Session, skus: Iterable[str]) -> dict[str, int]:
    """Total available units of each SKU over all warehouses (0 when it has no stock)."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = session.execute(
        select(Product.sku, func.sum(StockLevel.on_hand - StockLevel.allocated))
        .join(StockLevel, StockLevel.product_id == Product.id)
        .where(Product.sku.in_(wanted))
        .group_by(Product.sku)
    )
    found = {sku: int(total or 0) for sku, total in rows}
    return {sku: found.get(sku, 0) for sku in wanted}
