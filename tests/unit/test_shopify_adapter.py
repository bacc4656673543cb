"""Shopify's documented webhook bodies, read into Shopcore's terms exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shopcore.canonical import InvalidOrder
from shopcore.enums import CartStatus, Channel, OrderStatus, Platform
from shopcore.intake.payloads import (
    CartSnapshot,
    CustomerReport,
    Ignored,
    RefundReport,
    UnreadableBody,
    read_json,
)
from shopcore.intake.shopify import (
    checkout_from_shopify,
    customer_from_shopify,
    order_from_shopify,
    refund_from_shopify,
)
from shopcore.intake.topics import read_delivery
from shopcore.ordering import IncomingOrder

FIXTURES = Path(__file__).parent.parent / "fixtures" / "shopify"


def sample(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def sample_data(name: str, **changes: Any) -> dict[str, Any]:
    data = read_json(sample(name))
    data.update(changes)
    return data


def test_the_documented_order_reads_with_its_ids_exact() -> None:
    incoming = read_delivery(Platform.SHOPIFY, "orders/create", sample("orders_create"))
    assert isinstance(incoming, IncomingOrder)
    order = incoming.order
    # Both exceed 2**53: a float would have turned them into ...500 and ...950.
    assert order.external_id == "820982911946154508"
    assert incoming.customer_external_id == "115310627314723954"
    assert order.channel == Channel.ONLINE
    assert order.currency == "USD"
    assert order.placed_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert incoming.version == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)


def test_the_documented_order_keeps_its_lines_and_money_exact() -> None:
    incoming = order_from_shopify(sample_data("orders_create"))
    lines = [(x.sku, x.quantity, x.unit_price) for x in incoming.order.lines]
    assert lines == [
        ("SKU2006-001", 1, Decimal("89.99")),
        ("LENS-PROTECT-2YR", 1, Decimal("19.99")),
        ("CASE-LEATHER-PREM", 1, Decimal("24.99")),
        ("SKU2006-020", 1, Decimal("159.99")),
        ("SKU2006-035", 1, Decimal("119.99")),
    ]
    assert incoming.order.subtotal == Decimal("414.95")  # the sample's total_line_items_price


def test_the_documented_order_is_a_cancelled_test_order() -> None:
    incoming = order_from_shopify(sample_data("orders_create"))
    assert incoming.is_test is True
    assert incoming.status == OrderStatus.CANCELLED  # cancelled_at is set


def test_the_documented_order_names_its_customer_and_where_it_ships() -> None:
    incoming = order_from_shopify(sample_data("orders_create"))
    customer = incoming.order.customer
    assert customer is not None
    assert (customer.email, customer.first_name, customer.last_name) == (
        "john@example.com",
        "John",
        "Smith",
    )
    # No consent on the customer record: the ticked box at checkout is the statement.
    assert customer.accepts_marketing is True
    assert incoming.order.shipping_address == {
        "country": "US",
        "city": "Shippington",
        "postcode": "40003",
        "line1": "123 Shipping Street",
    }


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"cancelled_at": None, "financial_status": "paid"}, OrderStatus.PENDING),
        ({"cancelled_at": None, "financial_status": "refunded"}, OrderStatus.REFUNDED),
        ({"cancelled_at": None, "fulfillment_status": "fulfilled"}, OrderStatus.SHIPPED),
        ({"cancelled_at": None, "fulfillment_status": "partial"}, OrderStatus.PENDING),
        ({"financial_status": "refunded"}, OrderStatus.CANCELLED),
    ],
)
def test_the_platforms_state_maps_to_ours(changes: dict[str, Any], status: OrderStatus) -> None:
    assert order_from_shopify(sample_data("orders_create", **changes)).status == status


@pytest.mark.parametrize(
    ("customer_changes", "order_changes", "consent"),
    [
        ({"email_marketing_consent": {"state": "subscribed"}}, {}, True),
        ({"email_marketing_consent": {"state": "unsubscribed"}}, {}, False),
        ({"email_marketing_consent": {"state": "pending"}}, {}, False),
        ({"accepts_marketing": False}, {}, False),
        ({"accepts_marketing": True}, {"buyer_accepts_marketing": False}, True),
        ({}, {"buyer_accepts_marketing": False}, None),
    ],
)
def test_marketing_consent_comes_from_the_customer_first(
    customer_changes: dict[str, Any], order_changes: dict[str, Any], consent: bool | None
) -> None:
    data = sample_data("orders_create", **order_changes)
    data["customer"].update(customer_changes)
    customer = order_from_shopify(data).order.customer
    assert customer is not None and customer.accepts_marketing is consent


def test_a_guest_order_has_no_customer_id_and_uses_the_order_email() -> None:
    incoming = order_from_shopify(sample_data("orders_create", customer=None))
    assert incoming.customer_external_id is None
    assert incoming.order.customer is not None
    assert incoming.order.customer.email == "jon@example.com"


def test_a_line_without_a_sku_gets_a_stand_in_from_its_variant() -> None:
    data = sample_data("orders_create")
    data["line_items"][0].update(sku="", variant_id=808950810)
    data["line_items"][1].update(sku=None)
    lines = order_from_shopify(data).order.lines
    assert lines[0].sku == "SHOPIFY-808950810"
    assert lines[1].sku == "SHOPIFY-789012345678901234"  # no product: the line's own id


def test_a_price_that_is_not_whole_cents_is_an_invalid_order() -> None:
    data = sample_data("orders_create")
    data["line_items"][0]["price"] = "89.995"
    with pytest.raises(InvalidOrder) as error:
        order_from_shopify(data)
    assert [e.field for e in error.value.errors] == ["lines[0].unit_price"]


def test_every_problem_is_reported_at_once() -> None:
    data = sample_data("orders_create", id=None, currency="dollars", updated_at="yesterday")
    with pytest.raises(InvalidOrder) as error:
        order_from_shopify(data)
    fields = {e.field for e in error.value.errors}
    assert fields == {"external_id", "currency", "updated_at"}


def test_the_documented_refund_restocks_nothing() -> None:
    refund = read_delivery(Platform.SHOPIFY, "refunds/create", sample("refunds_create"))
    assert refund == RefundReport(order_external_id="820982911946154508", restocked={})


def test_a_refund_restocks_returned_and_cancelled_units_by_sku() -> None:
    data = sample_data("refunds_create")
    items = data["refund_line_items"]
    items[0].update(restock_type="return", quantity=2)
    items[3].update(restock_type="cancel")
    items[4].update(restock_type="legacy_restock")
    refund = refund_from_shopify(data)
    assert refund.restocked == {"SKU2006-001": 2, "SKU2006-020": 1, "SKU2006-035": 1}


def test_an_old_refund_says_restock_for_all_its_lines() -> None:
    data = sample_data("refunds_create", restock=True)
    for item in data["refund_line_items"]:
        del item["restock_type"]
    assert sum(refund_from_shopify(data).restocked.values()) == 5


def test_a_refund_without_its_order_cannot_be_read() -> None:
    with pytest.raises(UnreadableBody, match="order_id"):
        refund_from_shopify(sample_data("refunds_create", order_id=None))


def test_the_documented_checkout_is_an_open_cart_keyed_by_its_token() -> None:
    cart = read_delivery(Platform.SHOPIFY, "checkouts/create", sample("checkouts_create"))
    assert isinstance(cart, CartSnapshot)
    assert cart.external_id == "123123123"
    assert cart.status == CartStatus.OPEN
    assert (cart.currency, cart.total) == ("USD", Decimal("421.88"))
    assert [(i.sku, i.quantity, i.unit_price) for i in cart.items] == [
        ("IPOD2008PINK", 1, Decimal("199.00")),
        ("IPOD2008PINK", 1, Decimal("199.00")),
    ]
    assert cart.updated_at == datetime(2022, 1, 1, tzinfo=UTC)
    assert cart.contact is not None
    assert cart.contact.email == "john@example.com"
    assert cart.contact.external_id == "603851970716743426"
    assert cart.contact.accepts_marketing is None  # an unticked box says nothing


def test_a_completed_checkout_is_an_ordered_cart() -> None:
    data = sample_data("checkouts_create", completed_at="2022-01-01T10:00:00-05:00")
    assert checkout_from_shopify(data).status == CartStatus.ORDERED


def test_what_would_not_fit_the_database_is_refused_or_dropped() -> None:
    data = sample_data("checkouts_create", email="x" * 320 + "@example.com")
    data["customer"]["email"] = None
    data["line_items"][1]["sku"] = "S" * 65
    with pytest.raises(UnreadableBody, match="line_items\\[1\\].sku"):
        checkout_from_shopify(data)
    del data["line_items"][1]
    contact = checkout_from_shopify(data).contact
    assert contact is not None and contact.email is None


def test_the_documented_customer_is_identified_by_shopifys_id() -> None:
    report = read_delivery(Platform.SHOPIFY, "customers/create", sample("customers_create"))
    assert isinstance(report, CustomerReport)
    contact = report.contact
    assert contact.external_id == "706405506930370084"
    assert (contact.email, contact.first_name, contact.last_name) == (
        "bob@biller.com",
        "Bob",
        "Biller",
    )
    assert report.updated_at == datetime(2022, 1, 1, tzinfo=UTC)


def test_a_customer_who_subscribed_gives_consent() -> None:
    data = sample_data(
        "customers_create", email_marketing_consent={"state": "subscribed", "opt_in_level": None}
    )
    assert customer_from_shopify(data).contact.accepts_marketing is True


def test_topics_shopcore_does_not_use_are_ignored_without_reading_the_body() -> None:
    payload = read_delivery(Platform.SHOPIFY, "products/update", b"not even json")
    assert isinstance(payload, Ignored)


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[1, 2]", b'"text"', b'{"id": NaN}', b"\xff\xfe\x00", b"[" * 100_000, b"1" * 5000],
)
def test_unreadable_bodies_are_refused_with_a_reason(body: bytes) -> None:
    with pytest.raises(UnreadableBody):
        read_delivery(Platform.SHOPIFY, "orders/create", body)


def test_text_with_nul_characters_is_refused() -> None:
    body = json.dumps({"id": 1, "note": "a\x00b"}).encode()
    with pytest.raises(UnreadableBody, match="NUL"):
        read_json(body)


def test_numbers_are_read_exactly_never_as_floats() -> None:
    data = read_json(b'{"id": 9007199254740993, "price": 0.1, "total": 1e2}')
    assert data == {"id": 9007199254740993, "price": Decimal("0.1"), "total": Decimal("1E+2")}
