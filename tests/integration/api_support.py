"""What the API tests share: an app on the test database, a token and a small shop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from config.settings import load_settings
from inventory.stock import set_on_hand
from shopcore import create_app
from shopcore.auth import create_token
from shopcore.db import Database
from tests.factories import add_product, add_warehouses, random_ref, random_sku

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def make_app(db: Database) -> Flask:
    """The web app on the test's database (jobs in-process)."""
    settings = load_settings(
        environ={},
        database_url=db.engine.url.render_as_string(hide_password=False),
        secret_key="test",
    )
    return create_app(settings)


def make_token(db: Database, name: str = "test") -> str:
    with db.session() as session:
        token = create_token(session, name)
        session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Shop:
    """Tea and mugs in two fulfilment centres (online, wholesale) and one store (retail)."""

    tea: str
    mug: str
    ids: dict[str, int]


def open_shop(db: Database, *, tea: tuple[int, int, int] = (2, 3, 4)) -> Shop:
    """Stock per warehouse FC-N, FC-S, STORE: tea as given, mugs 1, 0, 4."""
    with db.session() as session:
        tea_product = add_product(session, random_sku(), price="4.50")
        mug_product = add_product(session, random_sku(), price="12.00")
        warehouses = add_warehouses(
            session,
            ("FC-N", 10, "online,wholesale"),
            ("FC-S", 20, "online,wholesale"),
            ("STORE", 30, "retail"),
        )
        for warehouse, tea_units, mug_units in zip(
            warehouses.values(), tea, (1, 0, 4), strict=True
        ):
            set_on_hand(session, tea_product.id, warehouse.id, tea_units)
            set_on_hand(session, mug_product.id, warehouse.id, mug_units)
        session.commit()
        ids = {tea_product.sku: tea_product.id, mug_product.sku: mug_product.id}
        ids.update({code: w.id for code, w in warehouses.items()})
        return Shop(tea_product.sku, mug_product.sku, ids)


def order_body(lines: list[tuple[str, int]], **fields: Any) -> dict[str, Any]:
    """A canonical order for ``lines`` of (sku, quantity) at 4.50 each."""
    return {
        "external_id": random_ref("A-"),
        "channel": "online",
        "placed_at": T0.isoformat(),
        "currency": "EUR",
        "customer": {"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"},
        "lines": [{"sku": sku, "quantity": q, "unit_price": "4.50"} for sku, q in lines],
        **fields,
    }
