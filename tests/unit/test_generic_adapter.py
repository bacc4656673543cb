"""The generic signed format: canonical orders and storefront events, and what keys them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shopcore.canonical import InvalidOrder
from shopcore.enums import CartStatus, OrderStatus, Platform
from shopcore.events import InvalidEvent
from shopcore.intake.payloads import CartSnapshot, Ignored, UnreadableBody
from shopcore.intake.topics import delivery_key, delivery_topic, read_delivery
from shopcore.ordering import IncomingOrder

ORDER: dict[str, Any] = {
    "external_id": "A-1001",
    "channel": "online",
    "placed_at": "2026-12-01T10:00:00Z",
    "currency": "EUR",
    "customer": {"email": "ann@example.com", "accepts_marketing": True},
    "lines": [{"sku": "TEA-001", "quantity": 2, "unit_price": "4.50"}],
}


def body(kind: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, "data": data}).encode()


def test_an_order_is_canonical_and_pending_by_default() -> None:
    incoming = read_delivery(Platform.GENERIC, "order", body("order", ORDER))
    assert isinstance(incoming, IncomingOrder)
    assert incoming.order.external_id == "A-1001"
    assert incoming.order.lines[0].unit_price == Decimal("4.50")
    assert (incoming.status, incoming.is_test, incoming.version) == (
        OrderStatus.PENDING,
        False,
        None,
    )


def test_an_order_may_say_its_status_test_flag_and_version() -> None:
    data = {**ORDER, "status": "Shipped", "test": True, "updated_at": "2026-12-02T08:00:00+01:00"}
    incoming = read_delivery(Platform.GENERIC, "order", body("order", data))
    assert isinstance(incoming, IncomingOrder)
    assert incoming.status == OrderStatus.SHIPPED
    assert incoming.is_test is True
    assert incoming.version == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


def test_a_bad_order_lists_every_bad_field() -> None:
    data = {**ORDER, "status": "allocated", "test": "yes", "currency": None}
    with pytest.raises(InvalidOrder) as error:
        read_delivery(Platform.GENERIC, "order", body("order", data))
    assert {e.field for e in error.value.errors} == {"status", "test", "currency"}


def test_a_cart_event_is_the_cart_it_leaves() -> None:
    event = {
        "type": "cart_updated",
        "occurred_at": "2026-12-01T10:00:00Z",
        "cart_id": "c-77",
        "customer": {"email": "ann@example.com"},
        "items": [{"sku": "TEA-001", "quantity": 3, "unit_price": "4.50"}],
    }
    cart = read_delivery(Platform.GENERIC, "event", body("event", event))
    assert isinstance(cart, CartSnapshot)
    assert (cart.external_id, cart.total, cart.status) == (
        "c-77",
        Decimal("13.50"),
        CartStatus.OPEN,
    )


def test_a_product_view_is_ignored_and_a_bad_event_refused() -> None:
    view = {
        "type": "product_viewed",
        "occurred_at": "2026-12-01T10:00:00Z",
        "items": [{"sku": "T"}],
    }
    assert isinstance(read_delivery(Platform.GENERIC, "event", body("event", view)), Ignored)
    with pytest.raises(InvalidEvent):
        read_delivery(Platform.GENERIC, "event", body("event", {"type": "cart_updated"}))


@pytest.mark.parametrize(
    "raw",
    [b'{"type": "invoice", "data": {}}', b'{"type": "order"}', b'{"type": "order", "data": 1}'],
)
def test_anything_but_an_order_or_event_is_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableBody):
        read_delivery(Platform.GENERIC, "unknown", raw)


def test_a_generic_deliverys_topic_is_its_type_and_its_key_the_body_hash() -> None:
    raw = body("order", ORDER)
    assert delivery_topic(Platform.GENERIC, {}, raw) == "order"
    assert delivery_topic(Platform.GENERIC, {}, b"junk") == "unknown"
    assert delivery_key(Platform.GENERIC, {}, raw) == hashlib.sha256(raw).hexdigest()


def test_shopifys_key_is_its_webhook_id_and_its_topic_its_header() -> None:
    headers = {"X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}
    assert delivery_key(Platform.SHOPIFY, headers, b"{}") == headers["X-Shopify-Webhook-Id"]
    assert delivery_key(Platform.SHOPIFY, {}, b"{}") == hashlib.sha256(b"{}").hexdigest()
    assert delivery_key(Platform.SHOPIFY, {"X-Shopify-Webhook-Id": "x" * 500}, b"") != "x" * 500
    assert (
        delivery_topic(Platform.SHOPIFY, {"x-shopify-topic": "orders/paid"}, b"") == "orders/paid"
    )
