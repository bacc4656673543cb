"""Shopify's webhook bodies (REST Admin API shapes) in Shopcore's terms.

An order's external id is Shopify's numeric order id as text ("820982911946154508"), not
its display name ("#9999"): the id never changes and is what refunds and checkouts refer
to, while shops can rename their order numbers. Ids exceed 2**53, so bodies are read with
exact integers and decimal money (``payloads.read_json``); nothing goes through a float.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from shopcore.customers import ContactDetails
from shopcore.enums import OrderStatus
from shopcore.intake.payloads import (
    CartItemSnapshot,
    CartSnapshot,
    CustomerReport,
    Ignored,
    Payload,
    Problems,
    RefundReport,
    UnreadableBody,
    mapping,
    optional_id,
    placeholder_sku,
    text_id,
    text_or_none,
    usable_email,
)
from shopcore.ordering import IncomingOrder
from shopcore.values import parse_currency, parse_money, parse_quantity, parse_timestamp

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/paid", "orders/cancelled"})
CHECKOUT_TOPICS = frozenset({"checkouts/create", "checkouts/update"})
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
REFUND_TOPIC = "refunds/create"
TOPICS = ORDER_TOPICS | CHECKOUT_TOPICS | CUSTOMER_TOPICS | {REFUND_TOPIC}
# Restock types whose units go back on the shelf; "no_restock" keeps them out.
RESTOCKING = frozenset({"return", "cancel", "legacy_restock"})
MAX_SKU = 64


def read_shopify(topic: str, data: Mapping[str, Any]) -> Payload:
    """What a Shopify delivery on ``topic`` says."""
    if topic in ORDER_TOPICS:
        return order_from_shopify(data)
    if topic in CHECKOUT_TOPICS:
        return checkout_from_shopify(data)
    if topic in CUSTOMER_TOPICS:
        return customer_from_shopify(data)
    if topic == REFUND_TOPIC:
        return refund_from_shopify(data)
    return Ignored(f"Shopcore does not use the Shopify topic {topic!r}")


def order_from_shopify(data: Mapping[str, Any]) -> IncomingOrder:
    """An order webhook's body as an incoming order, or InvalidOrder listing what is wrong."""
    problems = Problems()
    version = problems.check("updated_at", _optional_time, data.get("updated_at"))
    customer = mapping(data.get("customer"))
    customer_id = problems.check("customer.id", optional_id, customer.get("id"))
    canonical = {
        "external_id": data.get("id"),
        "channel": "online",
        # processed_at is the sale's date (it differs from created_at for imported orders).
        "placed_at": data.get("processed_at") or data.get("created_at"),
        "currency": data.get("currency"),
        "customer": _order_customer(customer, data),
        "lines": _lines(data.get("line_items")),
        "shipping_address": _address(data.get("shipping_address")),
    }
    return IncomingOrder(
        order=problems.order(canonical),
        status=_status(data),
        is_test=data.get("test") is True,
        version=version,
        customer_external_id=customer_id,
    )


def checkout_from_shopify(data: Mapping[str, Any]) -> CartSnapshot:
    """A checkout as a cart, keyed by its token; completed checkouts are ordered carts."""
    problems = Problems()
    token = problems.check("token", text_id, data.get("token"))
    updated_at = problems.check(
        "updated_at", parse_timestamp, data.get("updated_at") or data.get("created_at")
    )
    currency = problems.check(
        "currency", parse_currency, data.get("currency") or data.get("presentment_currency")
    )
    total = problems.check("total_price", parse_money, data.get("total_price"))
    items = _cart_items(problems, data.get("line_items"))
    customer = mapping(data.get("customer"))
    customer_id = problems.check("customer.id", optional_id, customer.get("id"))
    if problems.errors:
        raise UnreadableBody(problems.errors)
    return CartSnapshot(
        external_id=token,
        updated_at=updated_at,
        currency=currency,
        total=total,
        items=items,
        contact=_known(_contact(customer, data, external_id=customer_id)),
        completed=bool(data.get("completed_at")),
    )


def customer_from_shopify(data: Mapping[str, Any]) -> CustomerReport:
    """A customer record, identified by Shopify's customer id within this source."""
    problems = Problems()
    customer_id = problems.check("id", text_id, data.get("id"))
    updated_at = problems.check("updated_at", _optional_time, data.get("updated_at"))
    if problems.errors:
        raise UnreadableBody(problems.errors)
    return CustomerReport(
        contact=_contact(data, None, external_id=customer_id), updated_at=updated_at
    )


def refund_from_shopify(data: Mapping[str, Any]) -> RefundReport:
    """A refund: which order, and how many units of each SKU go back to stock."""
    problems = Problems()
    order_id = problems.check("order_id", text_id, data.get("order_id"))
    items = data.get("refund_line_items")
    if items is None:
        items = []
    if not isinstance(items, list):
        problems.add("refund_line_items", "must be a list")
        items = []
    # Before restock_type existed a refund said "restock": true for all its lines.
    legacy_restock = data.get("restock") is True
    restocked: dict[str, int] = defaultdict(int)
    for i, item in enumerate(mapping(x) for x in items):
        kind = item.get("restock_type")
        if not (kind in RESTOCKING or (kind is None and legacy_restock)):
            continue
        quantity = problems.check(
            f"refund_line_items[{i}].quantity", parse_quantity, item.get("quantity")
        )
        if quantity is not None:
            restocked[_sku(mapping(item.get("line_item")))] += quantity
    if problems.errors:
        raise UnreadableBody(problems.errors)
    return RefundReport(order_external_id=order_id, restocked=dict(restocked))


def _optional_time(value: Any) -> Any:
    return None if value is None else parse_timestamp(value)


def _status(data: Mapping[str, Any]) -> OrderStatus:
    if data.get("cancelled_at"):
        return OrderStatus.CANCELLED
    if data.get("financial_status") == "refunded":
        return OrderStatus.REFUNDED
    if data.get("fulfillment_status") == "fulfilled":
        return OrderStatus.SHIPPED
    return OrderStatus.PENDING


def _sku(item: Mapping[str, Any]) -> str:
    sku = item.get("sku")
    if isinstance(sku, str) and sku.strip():
        return sku.strip()
    return placeholder_sku(
        "shopify", item.get("variant_id") or item.get("product_id") or item.get("id")
    )


def _short(sku: str) -> str:
    if len(sku) > MAX_SKU:
        raise ValueError(f"must be at most {MAX_SKU} characters, got {len(sku)}")
    return sku


def _price(item: Mapping[str, Any]) -> Any:
    if item.get("price") is not None:
        return item.get("price")
    return mapping(mapping(item.get("price_set")).get("shop_money")).get("amount")


def _lines(items: Any) -> Any:
    if not isinstance(items, list):
        return items  # parse_order says what is wrong with it
    return [
        {"sku": _sku(item), "quantity": item.get("quantity"), "unit_price": _price(item)}
        if isinstance(item, Mapping)
        else item
        for item in items
    ]


def _cart_items(problems: Problems, items: Any) -> tuple[CartItemSnapshot, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        problems.add("line_items", "must be a list")
        return ()
    snapshots = []
    for i, item in enumerate(mapping(x) for x in items):
        sku = problems.check(f"line_items[{i}].sku", _short, _sku(item))
        quantity = problems.check(f"line_items[{i}].quantity", parse_quantity, item.get("quantity"))
        price = problems.check(f"line_items[{i}].price", parse_money, _price(item))
        if sku is not None and quantity is not None and price is not None:
            snapshots.append(CartItemSnapshot(sku, quantity, price))
    return tuple(snapshots)


def _address(value: Any) -> dict[str, Any] | None:
    address = mapping(value)
    fields = {
        "country": address.get("country_code"),
        "city": address.get("city"),
        "postcode": address.get("zip"),
        "line1": address.get("address1"),
    }
    kept = {key: v for key, v in fields.items() if v not in (None, "")}
    return kept or None


def _consent(customer: Mapping[str, Any], order: Mapping[str, Any] | None) -> bool | None:
    """What the customer said about marketing email, or None when they said nothing."""
    state = mapping(customer.get("email_marketing_consent")).get("state")
    if isinstance(state, str):
        return state.lower() == "subscribed"
    if isinstance(customer.get("accepts_marketing"), bool):
        return bool(customer["accepts_marketing"])
    # An unticked box at checkout is no statement; it must not undo an earlier opt-in.
    if order is not None and order.get("buyer_accepts_marketing") is True:
        return True
    return None


def _names(customer: Mapping[str, Any], order: Mapping[str, Any] | None) -> dict[str, Any]:
    billing = mapping(order.get("billing_address")) if order is not None else {}
    company = mapping(customer.get("default_address")).get("company") or billing.get("company")
    return {
        "first_name": text_or_none(customer.get("first_name") or billing.get("first_name"), 100),
        "last_name": text_or_none(customer.get("last_name") or billing.get("last_name"), 100),
        "company": text_or_none(company, 200),
    }


def _order_customer(customer: Mapping[str, Any], order: Mapping[str, Any]) -> dict[str, Any] | None:
    details = {
        "email": usable_email(
            customer.get("email"), order.get("email"), order.get("contact_email")
        ),
        "phone": text_or_none(customer.get("phone") or order.get("phone"), 32),
        **_names(customer, order),
        "accepts_marketing": _consent(customer, order),
    }
    return details if any(v is not None for v in details.values()) else None


def _contact(
    customer: Mapping[str, Any], order: Mapping[str, Any] | None, *, external_id: str | None
) -> ContactDetails:
    extra = order or {}
    return ContactDetails(
        email=usable_email(customer.get("email"), extra.get("email")),
        phone=text_or_none(customer.get("phone") or extra.get("phone"), 32),
        **_names(customer, order),
        accepts_marketing=_consent(customer, order),
        external_id=external_id,
    )


def _known(contact: ContactDetails) -> ContactDetails | None:
    return contact if any(v is not None for v in vars(contact).values()) else None
