"""Stock arriving (counts, receipts, transfers), by SKU and warehouse code.

Whatever brings units to a warehouse gives them first to the orders waiting for them, oldest
first, and tells the storefront the new availability once the change commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Warehouse
from inventory.stock import receive, set_on_hand, transfer
from shopcore.models import Product
from shopcore.order_stock import allocate_waiting, publish


def set_stock(session: Session, sku: str, warehouse_code: str, on_hand: int) -> None:
    """A stock count for one SKU in one warehouse; waiting orders get what it frees."""
    product_id, warehouse_id = _stock_keys(session, sku, warehouse_code)
    if set_on_hand(session, product_id, warehouse_id, on_hand) is not None:
        _stock_arrived(session, product_id)


def receive_stock(session: Session, sku: str, warehouse_code: str, quantity: int) -> None:
    """A delivery of ``quantity`` units into a warehouse; waiting orders are served first."""
    if quantity <= 0:
        raise ValueError("a receipt brings a positive quantity")
    product_id, warehouse_id = _stock_keys(session, sku, warehouse_code)
    receive(session, product_id, warehouse_id, quantity)
    _stock_arrived(session, product_id)


def transfer_stock(session: Session, sku: str, from_code: str, to_code: str, quantity: int) -> None:
    """Move available units between warehouses; orders waiting at the target are served."""
    product_id, source_id = _stock_keys(session, sku, from_code)
    _, target_id = _stock_keys(session, sku, to_code)
    transfer(session, product_id, source_id, target_id, quantity)
    _stock_arrived(session, product_id)


def _stock_keys(session: Session, sku: str, warehouse_code: str) -> tuple[int, int]:
    product_id = session.scalar(select(Product.id).where(Product.sku == sku))
    warehouse_id = session.scalar(select(Warehouse.id).where(Warehouse.code == warehouse_code))
    if product_id is None:
        raise LookupError(f"no product {sku!r}")
    if warehouse_id is None:
        raise LookupError(f"no warehouse {warehouse_code!r}")
    return product_id, warehouse_id


def _stock_arrived(session: Session, product_id: int) -> None:
    allocate_waiting(session, {product_id})
    publish(session, {product_id})
