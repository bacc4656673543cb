"""The admin's stock reads: levels by SKU, low levels, the movement ledger, ABC/XYZ cells."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.analysis import ProductClass
from inventory.levels import WarehouseStock
from inventory.models import MovementKind, StockLevel, StockMovement, Warehouse
from shopcore.admin.paging import Cursor, Page, keyset_page
from shopcore.models import Product

ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")


@dataclass(frozen=True)
class ProductStock:
    """One product and what each warehouse holding it has."""

    product: Product
    warehouses: list[WarehouseStock]

    @property
    def on_hand(self) -> int:
        return sum(w.on_hand for w in self.warehouses)

    @property
    def allocated(self) -> int:
        return sum(w.allocated for w in self.warehouses)

    @property
    def available(self) -> int:
        return sum(w.available for w in self.warehouses)


@dataclass(frozen=True)
class MovementFilter:
    product_id: int | None = None
    warehouse_id: int | None = None
    kind: MovementKind | None = None
    order_id: int | None = None


@dataclass(frozen=True)
class Cell:
    """One cell of the ABC/XYZ matrix: how many products, and their share of revenue."""

    name: str
    products: int
    revenue: Decimal
    share: Decimal


def find_stock(session: Session, sku_prefix: str, cursor: Cursor, *, size: int) -> Page:
    """A page of products by SKU (those starting with ``sku_prefix``) with their levels."""
    query = select(Product)
    if sku_prefix:
        query = query.where(Product.sku.ilike(_escape_like(sku_prefix) + "%", escape="\\"))
    page = keyset_page(session, query, Product.sku, cursor, size=size)
    held: dict[int, list[WarehouseStock]] = defaultdict(list)
    rows = session.execute(
        select(StockLevel.product_id, Warehouse.code, StockLevel.on_hand, StockLevel.allocated)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.product_id.in_([p.id for p in page.rows]))
        .order_by(Warehouse.priority, Warehouse.code)
    )
    for product_id, code, on_hand, allocated in rows:
        held[product_id].append(WarehouseStock(code, on_hand, allocated))
    return replace(page, rows=[ProductStock(p, held[p.id]) for p in page.rows])


def low_stock(session: Session, threshold: int, cursor: Cursor, *, size: int) -> Page:
    """A page of levels with at most ``threshold`` units available: (level, sku, name, code)."""
    query = (
        select(StockLevel, Product.sku, Product.name, Warehouse.code)
        .join(Product, Product.id == StockLevel.product_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.on_hand - StockLevel.allocated <= threshold)
    )
    return keyset_page(session, query, StockLevel.id, cursor, size=size)


def find_movements(session: Session, wanted: MovementFilter, cursor: Cursor, *, size: int) -> Page:
    """A page of the ledger, newest first: (movement, sku, warehouse code)."""
    query = (
        select(StockMovement, Product.sku, Warehouse.code)
        .join(Product, Product.id == StockMovement.product_id)
        .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
    )
    if wanted.product_id is not None:
        query = query.where(StockMovement.product_id == wanted.product_id)
    if wanted.warehouse_id is not None:
        query = query.where(StockMovement.warehouse_id == wanted.warehouse_id)
    if wanted.kind is not None:
        query = query.where(StockMovement.kind == wanted.kind)
    if wanted.order_id is not None:
        query = query.where(StockMovement.order_id == wanted.order_id)
    return keyset_page(session, query, StockMovement.id, cursor, size=size, descending=True)


def product_id(session: Session, sku: str) -> int | None:
    return session.scalar(select(Product.id).where(Product.sku == sku))


def warehouse_id(session: Session, code: str) -> int | None:
    return session.scalar(select(Warehouse.id).where(Warehouse.code == code.upper()))


def allocated_units(session: Session, product: int, warehouse: int) -> int:
    found = session.scalar(
        select(StockLevel.allocated).where(
            StockLevel.product_id == product, StockLevel.warehouse_id == warehouse
        )
    )
    return found or 0


def matrix(classes: list[ProductClass]) -> dict[str, Cell]:
    """The nine cells, AX to CZ, each with its products' count and revenue share."""
    total = sum((c.revenue for c in classes), Decimal(0))
    cells = {}
    for name in (a + x for a in ABC for x in XYZ):
        members = [c for c in classes if c.cell == name]
        revenue = sum((c.revenue for c in members), Decimal(0))
        cells[name] = Cell(name, len(members), revenue, revenue / total if total else Decimal(0))
    return cells


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
