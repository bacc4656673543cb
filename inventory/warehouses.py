"""Adding warehouses and saying which channels each one ships for."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Warehouse, WarehouseChannel
from shopcore.enums import Channel


class WarehouseExists(ValueError):
    """A warehouse with that code already exists."""


def add_warehouse(
    session: Session, code: str, *, name: str, priority: int, channels: Iterable[Channel]
) -> Warehouse:
    """Create a warehouse serving ``channels``; the caller commits."""
    code = code.strip().upper()
    if not code:
        raise ValueError("a warehouse needs a code")
    if session.scalar(select(Warehouse).where(Warehouse.code == code)):
        raise WarehouseExists(code)
    served = sorted(set(channels))
    if not served:
        raise ValueError("a warehouse must serve at least one channel")
    warehouse = Warehouse(
        code=code,
        name=name,
        priority=priority,
        served=[WarehouseChannel(channel=c) for c in served],
    )
    session.add(warehouse)
    return warehouse


def list_warehouses(session: Session) -> list[Warehouse]:
    """All warehouses in the order allocation tries them (priority, then code)."""
    return list(session.scalars(select(Warehouse).order_by(Warehouse.priority, Warehouse.code)))
