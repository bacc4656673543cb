"""What the API tests share: an app on the test database, a token and a small shop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

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


def post_order(
    client: FlaskClient, auth: dict[str, str], sku: str, email: str, at: datetime
) -> None:
    """One unit of ``sku`` bought online by ``email`` (who accepts marketing) at ``at``."""
    customer = {"email": email, "first_name": "Ann", "accepts_marketing": True}
    body = order_body([(sku, 1)], placed_at=at.isoformat(), customer=customer)
    response = client.post("/api/v1/orders", json=body, headers=auth)
    assert response.status_code == 201, response.get_json()


def post_cart_event(
    client: FlaskClient,
    auth: dict[str, str],
    email: str,
    at: datetime,
    items: list[dict[str, Any]],
    *,
    kind: str = "cart_updated",
    cart_id: str | None = None,
    consent: bool = True,
) -> None:
    """A storefront cart event for a new cart (or ``cart_id``) of ``email``."""
    body = {
        "type": kind,
        "occurred_at": at.isoformat(),
        "cart_id": cart_id or random_ref("c-"),
        "customer": {"email": email, "accepts_marketing": consent},
        "items": items,
    }
    response = client.post("/api/v1/events", json=body, headers=auth)
    assert response.status_code == 202, response.get_json()
