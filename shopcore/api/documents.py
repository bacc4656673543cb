"""The JSON documents the API answers with: orders, customers and stock, money as strings.

Loaders take a page of rows and fetch what the documents need in a fixed number of queries,
whatever the page size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from inventory.levels import SkuStock
from inventory.models import Allocation, AllocationStatus, Warehouse
from shopcore.enums import IdentityKind
from shopcore.models import Customer, Order, OrderLine

CENT = Decimal("0.01")
# What an order's allocations show: what it holds and what it shipped (not what it gave back).
SHOWN = (AllocationStatus.ACTIVE, AllocationStatus.SHIPPED)


def money(amount: Decimal) -> str:
    return str(Decimal(amount).quantize(CENT))


def moment(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def load_order(session: Session, order_id: int) -> dict[str, Any] | None:
    """The order's document, or None when there is no such order."""
    order = session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines), selectinload(Order.source))
    )
    return order_documents(session, [order])[0] if order is not None else None


def order_documents(session: Session, orders: Sequence[Order]) -> list[dict[str, Any]]:
    """Documents for a page of orders (lines and source loaded), in the page's order."""
    ids = [o.id for o in orders]
    held = _allocations(session, ids)
    codes = _warehouse_codes(session, {o.warehouse_id for o in orders if o.warehouse_id})
    return [_order(o, held.get(o.id, []), codes) for o in orders]


def customer_document(customer: Customer, channels: list[str]) -> dict[str, Any]:
    """A customer with every identity, consent and the order aggregates (history apart)."""
    identities = sorted(customer.identities, key=lambda i: (i.kind.value, i.scope, i.value))
    return {
        "id": customer.id,
        "name": customer.name,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company": customer.company,
        "email": customer.email,
        "phone": customer.phone,
        "emails": [i.value for i in identities if i.kind == IdentityKind.EMAIL],
        "phones": [i.value for i in identities if i.kind == IdentityKind.PHONE],
        "identities": [
            {"kind": i.kind.value, "scope": i.scope, "value": i.value} for i in identities
        ],
        "accepts_marketing": customer.accepts_marketing,
        "consent_at": moment(customer.consent_at),
        "consent_source": customer.consent_source,
        "orders_count": customer.orders_count,
        "total_spent": money(customer.total_spent),
        "first_order_at": moment(customer.first_order_at),
        "last_order_at": moment(customer.last_order_at),
        "rfm": {
            "r": customer.rfm_r,
            "f": customer.rfm_f,
            "m": customer.rfm_m,
            "segment": customer.segment,
        },
        "channels": channels,
        "created_at": moment(customer.created_at),
    }


def customer_channels(session: Session, customer_id: int) -> list[str]:
    rows = session.scalars(select(Order.channel).where(Order.customer_id == customer_id).distinct())
    return sorted(channel.value for channel in rows)


def stock_document(stock: SkuStock) -> dict[str, Any]:
    return {
        "sku": stock.sku,
        "available": stock.available,
        "warehouses": [
            {
                "code": w.code,
                "on_hand": w.on_hand,
                "allocated": w.allocated,
                "available": w.available,
            }
            for w in stock.warehouses
        ],
    }


def _order(
    order: Order, allocations: list[dict[str, Any]], codes: dict[int, str]
) -> dict[str, Any]:
    return {
        "id": order.id,
        "external_id": order.external_id,
        "source": order.source.name,
        "channel": order.channel.value,
        "status": order.status.value,
        "placed_at": moment(order.placed_at),
        "currency": order.currency,
        "customer_id": order.customer_id,
        "warehouse": codes.get(order.warehouse_id) if order.warehouse_id else None,
        "subtotal": money(order.subtotal),
        "total": money(order.total),
        "is_test": order.is_test,
        "shipping_address": order.shipping_address,
        "lines": [_line(line) for line in order.lines],
        "allocations": allocations,
        "created_at": moment(order.created_at),
        "updated_at": moment(order.updated_at),
    }


def _line(line: OrderLine) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": money(line.unit_price),
        "total": money(line.total),
        "status": line.status.value,
    }


def _allocations(session: Session, order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Per order, units held or shipped per SKU and warehouse (as ``allocations_of`` says)."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(Allocation.order_id, OrderLine.sku, Warehouse.code, func.sum(Allocation.quantity))
        .join(OrderLine, OrderLine.id == Allocation.order_line_id)
        .join(Warehouse, Warehouse.id == Allocation.warehouse_id)
        .where(Allocation.order_id.in_(order_ids), Allocation.status.in_(SHOWN))
        .group_by(Allocation.order_id, OrderLine.sku, Warehouse.code)
        .order_by(Allocation.order_id, OrderLine.sku, Warehouse.code)
    )
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for order_id, sku, code, quantity in rows:
        found[order_id].append({"sku": sku, "warehouse": code, "quantity": int(quantity)})
    return found


def _warehouse_codes(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(ids)))
    return {warehouse_id: code for warehouse_id, code in rows}
