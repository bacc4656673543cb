"""Storefront events are read strictly, every bad field reported at once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from inventory.jobs import signature
from shopcore.enums import CartStatus
from shopcore.events import EventType, InvalidEvent, parse_event
from shopcore.intake.signatures import verify_generic


def _event(**fields: Any) -> dict[str, Any]:
    return {
        "type": "cart_updated",
        "occurred_at": "2026-12-01T11:00:00+01:00",
        "cart_id": "c-77",
        "customer": {"email": "Ann@Example.com", "phone": "0151 1234 5678"},
        "items": [{"sku": "TEA-001", "quantity": 2, "unit_price": "4.50"}],
        **fields,
    }


def test_a_cart_event_becomes_the_cart_it_leaves_behind() -> None:
    event = parse_event(_event())
    assert event.type == EventType.CART_UPDATED
    assert event.occurred_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert event.currency == "EUR"
    assert event.total == Decimal("9.00")
    cart = event.cart()
    assert cart.external_id == "c-77" and cart.status == CartStatus.OPEN
    assert cart.contact is not None and cart.contact.email == "Ann@Example.com"


def test_a_cart_without_items_is_emptied() -> None:
    assert parse_event(_event(items=[])).cart().status == CartStatus.EMPTIED


def test_a_numeric_cart_id_is_text() -> None:
    assert parse_event(_event(cart_id=77)).cart_id == "77"


def test_a_product_view_needs_no_cart_and_no_prices() -> None:
    event = parse_event(_event(type="product_viewed", cart_id=None, items=[{"sku": "TEA-001"}]))
    assert event.cart_id is None and [i.sku for i in event.items] == ["TEA-001"]
    with pytest.raises(ValueError):
        event.cart()


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidEvent) as raised:
        parse_event(
            _event(
                type="cart_updated",
                occurred_at="noon",
                cart_id="",
                items=[{"sku": "", "quantity": -1, "unit_price": "1.001"}],
            )
        )
    assert [e.field for e in raised.value.errors] == [
        "occurred_at",
        "cart_id",
        "items[0].sku",
        "items[0].quantity",
        "items[0].unit_price",
    ]


def test_the_stock_webhook_is_signed_the_way_generic_webhooks_are_checked() -> None:
    body = b'{"type":"stock.available","items":[]}'
    header = signature("s3cret", body, 1_800_000_000)
    verify_generic(body, header, "s3cret", now=1_800_000_010)
