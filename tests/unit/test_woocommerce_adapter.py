"""WooCommerce's documented order body, read into Shopcore's terms exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shopcore.canonical import InvalidOrder
from shopcore.enums import OrderStatus, Platform
from shopcore.intake.payloads import Ignored, OrderDeletion, UnreadableBody, read_json
from shopcore.intake.topics import delivery_key, is_ping, read_delivery
from shopcore.intake.woocommerce import order_from_woocommerce, unit_price
from shopcore.ordering import IncomingOrder

SAMPLE = Path(__file__).parent.parent / "fixtures" / "woocommerce" / "order.json"


def sample_data(**changes: Any) -> dict[str, Any]:
    data = read_json(SAMPLE.read_bytes())
    data.update(changes)
    return data


def test_the_documented_order_reads_with_gmt_times() -> None:
    incoming = read_delivery(Platform.WOOCOMMERCE, "order.created", SAMPLE.read_bytes())
    assert isinstance(incoming, IncomingOrder)
    order = incoming.order
    assert order.external_id == "727"
    assert order.currency == "USD"
    # date_created is the shop's local time (16:28); the _gmt field is UTC without a zone.
    assert order.placed_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert incoming.version == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert incoming.status == OrderStatus.PENDING  # processing: paid, still to ship
    assert incoming.is_test is False


def test_the_documented_order_keeps_exact_prices_and_stands_in_for_a_missing_sku() -> None:
    order = order_from_woocommerce(sample_data()).order
    assert [(x.sku, x.quantity, x.unit_price) for x in order.lines] == [
        ("WC-93", 2, Decimal("3.00")),  # the sample's first line has an empty sku
        ("Bar3", 1, Decimal("12.00")),
    ]


def test_the_documented_order_names_a_guest_from_the_billing_address() -> None:
    incoming = order_from_woocommerce(sample_data())
    assert incoming.customer_external_id is None  # customer_id 0 is a guest
    customer = incoming.order.customer
    assert customer is not None
    assert (customer.email, customer.phone, customer.first_name, customer.company) == (
        "john.doe@example.com",
        "(555) 555-5555",
        "John",
        None,
    )
    assert customer.accepts_marketing is None
    assert incoming.order.shipping_address == {
        "country": "US",
        "city": "San Francisco",
        "postcode": "94103",
        "line1": "969 Market",
    }


def test_a_registered_customer_keeps_their_woocommerce_id() -> None:
    assert order_from_woocommerce(sample_data(customer_id=42)).customer_external_id == "42"


@pytest.mark.parametrize(
    ("status", "ours"),
    [
        ("pending", OrderStatus.PENDING),
        ("processing", OrderStatus.PENDING),
        ("on-hold", OrderStatus.PENDING),
        ("completed", OrderStatus.SHIPPED),
        ("cancelled", OrderStatus.CANCELLED),
        ("failed", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.REFUNDED),
        ("awaiting-shipment", OrderStatus.PENDING),  # a plugin's status
    ],
)
def test_woocommerce_statuses_map_to_ours(status: str, ours: OrderStatus) -> None:
    assert order_from_woocommerce(sample_data(status=status)).status == ours


@pytest.mark.parametrize(
    ("item", "price"),
    [
        ({"quantity": 2, "subtotal": "6.00", "price": 3}, Decimal("3.00")),
        ({"quantity": 1, "subtotal": "12.50", "price": 12.5}, Decimal("12.50")),
        ({"quantity": 3, "subtotal": "29.97", "price": 9.99}, Decimal("9.99")),
        ({"quantity": 1, "subtotal": "0.10", "price": 0.1}, Decimal("0.10")),
        ({"quantity": 3, "subtotal": "10.00", "price": "3.330000"}, Decimal("3.33")),
        ({"quantity": 2, "subtotal": None, "price": "4.5"}, Decimal("4.50")),
        ({"quantity": 2, "subtotal": None, "price": 4.25}, Decimal("4.25")),
        ({"quantity": 2, "subtotal": None, "price": Decimal("19.990")}, Decimal("19.99")),
    ],
)
def test_prices_as_floats_or_text_with_any_decimals_are_read_exactly(
    item: dict[str, Any], price: Decimal
) -> None:
    data = sample_data()
    data["line_items"] = [{"sku": "TEA", **item}]
    line = order_from_woocommerce(data).order.lines[0]
    assert line.unit_price == price
    assert str(line.unit_price) == str(price)


def test_subtotal_divided_by_quantity_is_used_only_when_exact() -> None:
    assert unit_price({"quantity": 4, "subtotal": "10.00", "price": 2.5}) == Decimal("2.50")
    assert unit_price({"quantity": 3, "subtotal": "10.00", "price": 3.3333}) == 3.3333


def test_a_price_that_is_not_whole_cents_is_refused_not_rounded() -> None:
    data = sample_data()
    data["line_items"] = [{"sku": "TEA", "quantity": 3, "subtotal": "10.00", "price": 3.3333}]
    with pytest.raises(InvalidOrder, match="at most 2 decimal places"):
        order_from_woocommerce(data)


def test_a_float_sum_error_is_refused_not_rounded() -> None:
    data = sample_data()
    data["line_items"] = [{"sku": "TEA", "quantity": 1, "subtotal": None, "price": 0.1 + 0.2}]
    with pytest.raises(InvalidOrder):
        order_from_woocommerce(data)


def test_a_body_read_from_json_keeps_the_prices_written_in_it() -> None:
    body = SAMPLE.read_text().replace('"price": 12\n', '"price": 12.10\n')
    body = body.replace('"subtotal": "12.00"', '"subtotal": "x"')
    incoming = read_delivery(Platform.WOOCOMMERCE, "order.updated", body.encode())
    assert isinstance(incoming, IncomingOrder)
    assert incoming.order.lines[1].unit_price == Decimal("12.10")


def test_an_order_without_its_creation_time_is_invalid() -> None:
    with pytest.raises(InvalidOrder) as error:
        order_from_woocommerce(sample_data(date_created_gmt=None, date_modified_gmt="soon"))
    assert {e.field for e in error.value.errors} == {"placed_at", "date_modified_gmt"}


def test_times_with_a_zone_are_read_as_written() -> None:
    incoming = order_from_woocommerce(sample_data(date_modified_gmt="2017-03-22T19:28:08Z"))
    assert incoming.version == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)


def test_a_deleted_order_says_only_which() -> None:
    payload = read_delivery(Platform.WOOCOMMERCE, "order.deleted", b'{"id": 727}')
    assert payload == OrderDeletion(external_id="727")
    with pytest.raises(UnreadableBody):
        read_delivery(Platform.WOOCOMMERCE, "order.deleted", b'{"id": 0}')


def test_other_topics_are_ignored() -> None:
    assert isinstance(read_delivery(Platform.WOOCOMMERCE, "product.updated", b"{}"), Ignored)


def test_the_set_up_ping_is_recognised() -> None:
    assert is_ping(Platform.WOOCOMMERCE, b"webhook_id=15")
    assert not is_ping(Platform.WOOCOMMERCE, b"webhook_id=15&x=1")
    assert not is_ping(Platform.SHOPIFY, b"webhook_id=15")


def test_deliveries_in_the_same_second_are_told_apart_by_their_body() -> None:
    headers = {"X-WC-Webhook-Delivery-ID": "5f9a3b"}
    first = delivery_key(Platform.WOOCOMMERCE, headers, b'{"id": 1}')
    assert first == delivery_key(Platform.WOOCOMMERCE, headers, b'{"id": 1}')
    assert first != delivery_key(Platform.WOOCOMMERCE, headers, b'{"id": 2}')
    assert first.startswith("5f9a3b:")
