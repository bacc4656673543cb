"""The canonical order: what it accepts, exactly, and how it names everything it refuses."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shopcore.canonical import CanonicalLine, InvalidOrder, parse_order
from shopcore.enums import Channel
from shopcore.values import parse_money


def valid() -> dict[str, Any]:
    return {
        "external_id": "A-1001",
        "channel": "online",
        "placed_at": "2026-12-01T10:00:00Z",
        "currency": "eur",
        "customer": {
            "email": "ann@example.com",
            "phone": "+4915112345678",
            "first_name": "Ann",
            "last_name": "Lee",
            "company": None,
            "accepts_marketing": True,
        },
        "lines": [
            {"sku": "TEA-001", "quantity": 2, "unit_price": "4.50"},
            {"sku": "MUG-002", "quantity": "1", "unit_price": 12},
        ],
        "shipping_address": {"country": "de", "city": "Berlin", "postcode": 10115},
        "warehouse": None,
    }


def errors_of(data: Any) -> dict[str, str]:
    with pytest.raises(InvalidOrder) as raised:
        parse_order(data)
    return {e.field: e.message for e in raised.value.errors}


def test_a_valid_order_parses_into_exact_typed_values() -> None:
    order = parse_order(valid())

    assert order.external_id == "A-1001"
    assert order.channel is Channel.ONLINE
    assert order.placed_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert order.currency == "EUR"
    assert order.lines == (
        CanonicalLine("TEA-001", 2, Decimal("4.50")),
        CanonicalLine("MUG-002", 1, Decimal("12.00")),
    )
    assert order.subtotal == Decimal("21.00")
    assert order.customer is not None and order.customer.accepts_marketing is True
    assert order.shipping_address == {"country": "DE", "city": "Berlin", "postcode": "10115"}
    assert order.country == "DE"


def test_a_time_with_an_offset_becomes_aware_utc() -> None:
    data = valid() | {"placed_at": "2026-12-01T11:30:00+01:00"}

    assert parse_order(data).placed_at == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


def test_an_order_without_customer_address_or_warehouse_is_a_guest_sale() -> None:
    data = valid()
    for key in ("customer", "shipping_address", "warehouse"):
        del data[key]

    order = parse_order(data)

    assert order.customer is None and order.shipping_address is None and order.warehouse is None


def test_a_parsed_order_is_frozen_and_hashable() -> None:
    order = parse_order(valid())

    assert hash(order) == hash(parse_order(valid()))
    with pytest.raises(AttributeError):
        order.external_id = "other"  # type: ignore[misc]


def _set(path: str, value: Any) -> dict[str, Any]:
    """A valid order with the field at ``path`` (dotted, ``lines.0.sku``) set or removed."""
    data = copy.deepcopy(valid())
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    key: Any = int(last) if last.isdigit() else last
    if value is _MISSING:
        del target[key]
    else:
        target[key] = value
    return data


_MISSING = object()


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        ("external_id", _MISSING, "external_id", "is required"),
        ("external_id", "  ", "external_id", "is required"),
        ("external_id", "x" * 65, "external_id", "at most 64 characters"),
        ("external_id", ["A-1"], "external_id", "must be text"),
        ("channel", "web", "channel", "must be one of online, retail, wholesale, got 'web'"),
        ("channel", _MISSING, "channel", "is required"),
        ("placed_at", "2026-12-01T10:00:00", "placed_at", "must include a time zone"),
        ("placed_at", "2026-12-01", "placed_at", "must include a time zone"),
        ("placed_at", "yesterday", "placed_at", "must be an ISO-8601 time, got 'yesterday'"),
        ("placed_at", 1764583200, "placed_at", "must be an ISO-8601 time"),
        ("currency", "EURO", "currency", "3-letter currency code"),
        ("currency", "€", "currency", "3-letter currency code"),
        ("currency", 978, "currency", "3-letter currency code"),
        ("lines", _MISSING, "lines", "is required"),
        ("lines", [], "lines", "at least one line"),
        ("lines", {"sku": "TEA-001"}, "lines", "must be a list"),
        ("lines.0", "TEA-001", "lines[0]", "must be an object"),
        ("lines.1.sku", "", "lines[1].sku", "is required"),
        ("lines.1.sku", _MISSING, "lines[1].sku", "is required"),
        ("lines.1.quantity", 0, "lines[1].quantity", "positive whole number, got 0"),
        ("lines.1.quantity", "-2", "lines[1].quantity", "positive whole number, got '-2'"),
        ("lines.1.quantity", "2.5", "lines[1].quantity", "positive whole number"),
        ("lines.1.quantity", 2.0, "lines[1].quantity", "positive whole number"),
        ("lines.1.quantity", True, "lines[1].quantity", "positive whole number"),
        ("lines.1.quantity", 2**31, "lines[1].quantity", "positive whole number"),
        ("lines.0.unit_price", _MISSING, "lines[0].unit_price", "is required"),
        ("lines.0.unit_price", "-1.00", "lines[0].unit_price", "must not be negative"),
        ("lines.0.unit_price", "NaN", "lines[0].unit_price", "decimal amount"),
        ("lines.0.unit_price", float("nan"), "lines[0].unit_price", "finite"),
        ("lines.0.unit_price", float("inf"), "lines[0].unit_price", "finite"),
        ("lines.0.unit_price", Decimal("Infinity"), "lines[0].unit_price", "finite"),
        ("lines.0.unit_price", "4.505", "lines[0].unit_price", "at most 2 decimal places"),
        ("lines.0.unit_price", "4,50", "lines[0].unit_price", "decimal amount like 4.50"),
        ("lines.0.unit_price", "1e3", "lines[0].unit_price", "decimal amount"),
        ("lines.0.unit_price", True, "lines[0].unit_price", "decimal amount"),
        ("lines.0.unit_price", "1000000000000", "lines[0].unit_price", "too large"),
        ("customer", "ann@example.com", "customer", "must be an object"),
        ("customer.email", "ann at example", "customer.email", "not an email address"),
        ("customer.first_name", "x" * 101, "customer.first_name", "at most 100"),
        ("customer.accepts_marketing", "yes", "customer.accepts_marketing", "true, false"),
        ("shipping_address", "Berlin", "shipping_address", "must be an object"),
        ("shipping_address.country", "Germany", "shipping_address.country", "2-letter code"),
        ("shipping_address.city", ["Berlin"], "shipping_address.city", "must be text"),
        ("warehouse", "W" * 33, "warehouse", "at most 32"),
    ],
)
def test_an_invalid_field_is_named_by_its_path_with_the_reason(
    path: str, value: Any, field: str, message: str
) -> None:
    errors = errors_of(_set(path, value))

    assert list(errors) == [field]
    assert message in errors[field]


def test_every_invalid_field_is_reported_at_once() -> None:
    data = valid() | {"channel": "web", "placed_at": "soon", "currency": "E"}
    data["lines"] = [
        {"sku": "", "quantity": 1, "unit_price": "1.00"},
        {"sku": "TEA-001", "quantity": -1, "unit_price": "1.001"},
    ]

    errors = errors_of(data)

    assert set(errors) == {
        "channel",
        "placed_at",
        "currency",
        "lines[0].sku",
        "lines[1].quantity",
        "lines[1].unit_price",
    }


def test_the_error_message_lists_every_field() -> None:
    with pytest.raises(InvalidOrder, match=r"channel: .*; currency: "):
        parse_order(valid() | {"channel": "web", "currency": "E"})


def test_something_other_than_an_object_is_refused_as_a_whole() -> None:
    assert errors_of(["not", "an", "order"]) == {"": "an order must be an object"}


def test_a_line_whose_total_overflows_the_money_column_is_refused() -> None:
    data = _set("lines.0", {"sku": "GOLD", "quantity": 2**30, "unit_price": "999999.00"})

    assert "too large" in errors_of(data)["lines[0]"]


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("4.50", "4.50"),
        (" 4.5 ", "4.50"),
        ("4", "4.00"),
        (4, "4.00"),
        ("0", "0.00"),
        ("-0", "0.00"),
        (".5", "0.50"),
        (Decimal("4.500"), "4.50"),
        (4.5, "4.50"),
        (0.1, "0.10"),
        (19.99, "19.99"),
        (1234567.89, "1234567.89"),
        ("999999999999.99", "999999999999.99"),
    ],
)
def test_money_is_read_exactly_to_the_cent(value: Any, amount: str) -> None:
    parsed = parse_money(value)

    assert parsed == Decimal(amount)
    assert str(parsed) == amount  # the same digits, two places, no float residue


@pytest.mark.parametrize(
    "value",
    ["4.505", Decimal("0.001"), 0.1 + 0.2, 4.555, "1.2.3", "", None, [], "€4.50"],
)
def test_money_that_would_need_rounding_or_is_not_money_is_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_money(value)


def test_a_time_whose_utc_falls_past_year_9999_is_an_invalid_field_not_a_crash() -> None:
    with pytest.raises(InvalidOrder) as raised:
        parse_order({**valid(), "placed_at": "9999-12-31T23:59:59-01:00"})
    assert [e.field for e in raised.value.errors] == ["placed_at"]
