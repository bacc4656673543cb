"""WooCommerce's webhook bodies (REST API wc/v3 order shape) in Shopcore's terms.

An order's external id is WooCommerce's post id as text. Its ``*_gmt`` times are UTC
written without a zone. A line's ``price`` arrives as a JSON number (3, 12.5) or, with some
plugins, as text with any number of decimals, and for tax-inclusive shops it may not be a
whole number of cents; the line's ``subtotal`` is always text with the shop's decimals, so
``subtotal / quantity`` is used when that division is exact, and ``price`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shopcore.enums import OrderStatus
from shopcore.intake.payloads import (
    Ignored,
    OrderDeletion,
    Payload,
    Problems,
    UnreadableBody,
    mapping,
    optional_id,
    placeholder_sku,
    platform_time,
    text_id,
    text_or_none,
    usable_email,
)
from shopcore.ordering import IncomingOrder
from shopcore.values import CENT, parse_money, parse_whole

ORDER_TOPICS = frozenset({"order.created", "order.updated"})
DELETED_TOPIC = "order.deleted"
TOPICS = ORDER_TOPICS | {DELETED_TOPIC}

STATUSES = {
    "pending": OrderStatus.PENDING,
    "processing": OrderStatus.PENDING,
    "on-hold": OrderStatus.PENDING,
    "completed": OrderStatus.SHIPPED,
    "cancelled": OrderStatus.CANCELLED,
    "failed": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "trash": OrderStatus.CANCELLED,
}


def read_woocommerce(topic: str, data: Mapping[str, Any]) -> Payload:
    """What a WooCommerce delivery on ``topic`` says."""
    if topic in ORDER_TOPICS:
        return order_from_woocommerce(data)
    if topic == DELETED_TOPIC:
        return deletion_from_woocommerce(data)
    return Ignored(f"Shopcore does not use the WooCommerce topic {topic!r}")


def order_from_woocommerce(data: Mapping[str, Any]) -> IncomingOrder:
    """An order webhook's body as an incoming order, or InvalidOrder listing what is wrong."""
    problems = Problems()
    version = problems.check("date_modified_gmt", _optional_gmt, data.get("date_modified_gmt"))
    customer_id = problems.check("customer_id", optional_id, data.get("customer_id"))
    canonical = {
        "external_id": data.get("id"),
        "channel": "online",
        "placed_at": _zoned(data.get("date_created_gmt")),
        "currency": data.get("currency"),
        "customer": _customer(mapping(data.get("billing"))),
        "lines": _lines(data.get("line_items")),
        "shipping_address": _address(mapping(data.get("shipping")), mapping(data.get("billing"))),
    }
    return IncomingOrder(
        order=problems.order(canonical),
        # Statuses that plugins add are still orders that happened: they wait to ship.
        status=STATUSES.get(str(data.get("status")), OrderStatus.PENDING),
        version=version,
        customer_external_id=customer_id,
    )


def deletion_from_woocommerce(data: Mapping[str, Any]) -> OrderDeletion:
    """``order.deleted`` carries only the id of the order moved to the trash."""
    problems = Problems()
    external_id = problems.check("id", text_id, data.get("id"))
    if problems.errors:
        raise UnreadableBody(problems.errors)
    return OrderDeletion(external_id=external_id)


def unit_price(item: Mapping[str, Any]) -> Any:
    """The line's price per unit, exact: ``subtotal / quantity`` if whole cents, else ``price``."""
    try:
        quantity = parse_whole(item.get("quantity"), minimum=1)
        subtotal = parse_money(item.get("subtotal"))
    except ValueError:
        return item.get("price")
    each = subtotal / quantity
    if each == each.quantize(CENT):
        return each.quantize(CENT)
    return item.get("price")  # parse_order reads it exactly, or says why it cannot


def _zoned(value: Any) -> Any:
    """A ``*_gmt`` text with its zone made explicit, so parse_order can read it."""
    if isinstance(value, str) and value.strip():
        try:
            return platform_time(value, assume_utc=True)
        except ValueError:
            return value  # parse_order reports it with the field's name
    return value


def _optional_gmt(value: Any) -> Any:
    return None if value in (None, "") else platform_time(value, assume_utc=True)


def _lines(items: Any) -> Any:
    if not isinstance(items, list):
        return items  # parse_order says what is wrong with it
    return [
        {"sku": _sku(item), "quantity": item.get("quantity"), "unit_price": unit_price(item)}
        if isinstance(item, Mapping)
        else item
        for item in items
    ]


def _sku(item: Mapping[str, Any]) -> str:
    sku = item.get("sku")
    if isinstance(sku, str) and sku.strip():
        return sku.strip()
    return placeholder_sku("wc", item.get("product_id"), item.get("variation_id"))


def _customer(billing: Mapping[str, Any]) -> dict[str, Any] | None:
    details = {
        "email": usable_email(billing.get("email")),
        "phone": text_or_none(billing.get("phone"), 32),
        "first_name": text_or_none(billing.get("first_name"), 100),
        "last_name": text_or_none(billing.get("last_name"), 100),
        "company": text_or_none(billing.get("company"), 200),
    }
    return details if any(v is not None for v in details.values()) else None


def _address(shipping: Mapping[str, Any], billing: Mapping[str, Any]) -> dict[str, Any] | None:
    # Orders that ship nothing (downloads) leave the shipping address empty.
    fields = {
        "country": shipping.get("country") or billing.get("country"),
        "city": shipping.get("city"),
        "postcode": shipping.get("postcode"),
        "line1": shipping.get("address_1"),
    }
    kept = {key: v for key, v in fields.items() if v not in (None, "")}
    return kept or None
