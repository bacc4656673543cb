"""The events API: storefront carts kept current for the abandoned-cart triggers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shopcore.db import Database
from shopcore.enums import CartStatus
from shopcore.models import Cart, Customer
from tests.factories import random_ref
from tests.integration.api_support import Shop


def _event(kind: str = "cart_updated", **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "occurred_at": "2026-12-01T10:00:00Z",
        "cart_id": "c-77",
        "customer": {"email": "ann@example.com", "phone": None, "accepts_marketing": True},
        "items": [],
        **fields,
    }


def _cart(db: Database, external_id: str = "c-77") -> Cart | None:
    with db.session() as session:
        return session.scalar(
            select(Cart).where(Cart.external_id == external_id).options(selectinload(Cart.items))
        )


def _send(client: FlaskClient, auth: dict[str, str], body: Any) -> Any:
    return client.post("/api/v1/events", json=body, headers=auth)


def test_a_cart_update_keeps_the_cart_its_items_and_its_customer(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database
) -> None:
    items = [
        {"sku": shop.tea, "quantity": 2, "unit_price": "4.50"},
        {"sku": "NOT-IN-CATALOGUE", "quantity": 1, "unit_price": 3},
    ]
    response = _send(client, auth, _event(items=items))
    assert response.status_code == 202
    answer = response.get_json()
    assert answer["type"] == "cart_updated" and answer["recorded"] is True
    assert answer["cart"]["cart_id"] == "c-77"
    assert answer["cart"]["status"] == "open"
    assert answer["cart"]["total"] == "12.00"
    cart = _cart(db)
    assert cart is not None
    assert cart.status == CartStatus.OPEN
    assert cart.total == Decimal("12.00") and cart.currency == "EUR"
    assert [(i.sku, i.quantity, i.unit_price) for i in cart.items] == [
        (shop.tea, 2, Decimal("4.50")),
        ("NOT-IN-CATALOGUE", 1, Decimal("3.00")),
    ]
    assert cart.items[0].product_id == shop.ids[shop.tea] and cart.items[1].product_id is None
    with db.session() as session:
        customer = session.get_one(Customer, cart.customer_id)
        assert customer.email == "ann@example.com"
        assert customer.accepts_marketing is True
        assert answer["cart"]["customer_id"] == customer.id


def test_a_later_update_replaces_the_items_and_an_empty_cart_is_emptied(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database
) -> None:
    line = {"sku": shop.tea, "quantity": 1, "unit_price": "4.50"}
    _send(client, auth, _event(items=[line, line]))
    _send(client, auth, _event(occurred_at="2026-12-01T10:05:00Z", items=[line]))
    cart = _cart(db)
    assert cart is not None and len(cart.items) == 1 and cart.total == Decimal("4.50")
    response = _send(client, auth, _event(occurred_at="2026-12-01T10:06:00Z", items=[]))
    assert response.get_json()["cart"]["status"] == "emptied"
    cart = _cart(db)
    assert cart is not None
    assert cart.status == CartStatus.EMPTIED and cart.items == [] and cart.total == 0


def test_an_event_older_than_the_cart_changes_nothing(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database
) -> None:
    line = {"sku": shop.tea, "quantity": 3, "unit_price": "4.50"}
    _send(client, auth, _event(occurred_at="2026-12-01T11:00:00Z", items=[line]))
    response = _send(client, auth, _event(occurred_at="2026-12-01T10:00:00Z", items=[]))
    assert response.status_code == 202
    cart = _cart(db)
    assert cart is not None and cart.status == CartStatus.OPEN and len(cart.items) == 1


def test_a_checkout_is_kept_as_its_cart_with_its_currency(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database
) -> None:
    line = {"sku": shop.mug, "quantity": 1, "unit_price": "12.00"}
    body = _event("checkout_started", cart_id=7001, currency="usd", items=[line], customer=None)
    assert _send(client, auth, body).status_code == 202
    cart = _cart(db, "7001")
    assert cart is not None
    assert cart.currency == "USD" and cart.customer_id is None and cart.status == CartStatus.OPEN


def test_product_views_are_accepted_and_not_stored_yet(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database
) -> None:
    body = _event("product_viewed", cart_id=None, items=[{"sku": shop.tea}])
    response = _send(client, auth, body)
    assert response.status_code == 202
    assert response.get_json() == {"type": "product_viewed", "recorded": False, "cart": None}
    with db.session() as session:
        assert session.scalar(select(func.count(Cart.id))) == 0


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"type": "cart_abandoned"}, {"type"}),
        ({"occurred_at": "yesterday"}, {"occurred_at"}),
        ({"occurred_at": "2026-12-01T10:00:00"}, {"occurred_at"}),
        ({"occurred_at": "9999-12-31T23:59:59-01:00"}, {"occurred_at"}),
        ({"cart_id": None}, {"cart_id"}),
        ({"cart_id": "x" * 129}, {"cart_id"}),
        ({"items": None}, {"items"}),
        ({"items": {"sku": "A"}}, {"items"}),
        (
            {"items": [{"sku": "A", "quantity": 0, "unit_price": "-1"}]},
            {"items[0].quantity", "items[0].unit_price"},
        ),
        ({"items": [{"quantity": 1, "unit_price": "1"}]}, {"items[0].sku"}),
        (
            {"customer": {"email": "not-an-address", "accepts_marketing": "yes"}},
            {"customer.email", "customer.accepts_marketing"},
        ),
        ({"customer": []}, {"customer"}),
        ({"currency": "euro"}, {"currency"}),
        (
            {"items": [{"sku": "A", "quantity": 2, "unit_price": "999999999999.99"}]},
            {"items"},
        ),
        ({"type": "product_viewed", "items": []}, {"items"}),
    ],
)
def test_invalid_events_list_every_bad_field(
    client: FlaskClient, auth: dict[str, str], changes: dict[str, Any], fields: set[str]
) -> None:
    response = _send(client, auth, _event(**changes))
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "invalid_event" and answer["message"]
    assert {f["field"] for f in answer["fields"]} == fields


@pytest.mark.parametrize("body", ["[]", '"cart"', "42", "null"])
def test_an_event_must_be_an_object(client: FlaskClient, auth: dict[str, str], body: str) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    response = client.post("/api/v1/events", data=body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["fields"] == [{"field": "", "message": "an event must be an object"}]


def test_events_need_a_token(client: FlaskClient) -> None:
    response = client.post("/api/v1/events", json=_event(cart_id=random_ref()))
    assert response.status_code == 401
