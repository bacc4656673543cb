"""Test data with random references, so tests never step on each other's rows."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.orm import Session

from inventory.models import Warehouse
from inventory.warehouses import add_warehouse
from shopcore.enums import Channel
from shopcore.models import Product


def random_ref(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def random_sku() -> str:
    return random_ref("SKU-").upper()


def random_email() -> str:
    return f"{random_ref('c-')}@example.com"


def add_product(session: Session, sku: str | None = None, price: str = "9.90") -> Product:
    product = Product(
        sku=sku or random_sku(), name="Test product", price=Decimal(price), category="test"
    )
    session.add(product)
    session.flush()
    return product


def add_warehouses(session: Session, *specs: tuple[str, int, str]) -> dict[str, Warehouse]:
    """Warehouses from (code, priority, "online,wholesale") triples, by code."""
    made = {}
    for code, priority, channels in specs:
        made[code] = add_warehouse(
            session,
            code,
            name=code.title(),
            priority=priority,
            channels=[Channel(c) for c in channels.split(",")],
        )
    session.flush()
    return made
