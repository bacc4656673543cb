"""Storefront behaviour events (carts, checkouts, product views), read from untrusted JSON.

``parse_event`` returns a ``StorefrontEvent`` or raises ``InvalidEvent`` listing every bad
field at once, like ``shopcore.canonical.parse_order``. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar, cast

from shopcore.canonical import FieldError, InvalidFields
from shopcore.customers import ContactDetails
from shopcore.identity import normalize_email
from shopcore.intake.payloads import CartItemSnapshot, CartSnapshot
from shopcore.values import (
    MAX_MONEY,
    got,
    parse_currency,
    parse_money,
    parse_quantity,
    parse_timestamp,
)

T = TypeVar("T")

MAX_ITEMS = 500
# Storefronts that do not say which currency a cart is in are taken to sell in euros.
DEFAULT_CURRENCY = "EUR"


class EventType(StrEnum):
    CART_UPDATED = "cart_updated"
    CHECKOUT_STARTED = "checkout_started"
    PRODUCT_VIEWED = "product_viewed"


CART_EVENTS = (EventType.CART_UPDATED, EventType.CHECKOUT_STARTED)


class InvalidEvent(InvalidFields):
    """The data is not a valid storefront event; ``errors`` lists every invalid field."""


@dataclass(frozen=True)
class StorefrontEvent:
    type: EventType
    occurred_at: datetime
    cart_id: str | None
    currency: str
    items: tuple[CartItemSnapshot, ...]
    contact: ContactDetails | None = None

    @property
    def total(self) -> Decimal:
        return sum((i.unit_price * i.quantity for i in self.items), Decimal("0.00"))

    def cart(self) -> CartSnapshot:
        """The cart a cart event reports, as ``shopcore.carts.record_cart`` takes it."""
        if self.cart_id is None:
            raise ValueError(f"a {self.type.value} event names no cart")
        return CartSnapshot(
            external_id=self.cart_id,
            updated_at=self.occurred_at,
            currency=self.currency,
            total=self.total,
            items=self.items,
            contact=self.contact,
        )


def parse_event(data: Any) -> StorefrontEvent:
    """Validate ``data`` as a storefront event, or raise InvalidEvent with every bad field."""
    if not isinstance(data, Mapping):
        raise InvalidEvent([FieldError("", "an event must be an object")])
    errors: list[FieldError] = []
    check = _checker(errors)
    kind = check("type", _type, data.get("type"))
    cart_event = kind in CART_EVENTS
    event = StorefrontEvent(
        type=kind,
        occurred_at=check("occurred_at", parse_timestamp, data.get("occurred_at")),
        cart_id=check("cart_id", lambda v: _cart_id(v, required=cart_event), data.get("cart_id")),
        currency=check("currency", _currency, data.get("currency")),
        items=_items(check, errors, data.get("items"), priced=kind != EventType.PRODUCT_VIEWED),
        contact=_contact(check, errors, data.get("customer")),
    )
    if not errors and event.total > MAX_MONEY:
        errors.append(FieldError("items", "the cart total is too large"))
    if kind == EventType.PRODUCT_VIEWED and data.get("items") == []:
        errors.append(FieldError("items", "must name the product viewed"))
    if errors:
        raise InvalidEvent(errors)
    return event


def _checker(errors: list[FieldError]) -> Callable[[str, Callable[[Any], T], Any], T]:
    def check(path: str, parse: Callable[[Any], T], value: Any) -> T:
        try:
            return parse(value)
        except ValueError as e:
            errors.append(FieldError(path, str(e)))
            # A placeholder: parse_event raises before an event holding it can escape.
            return cast(T, None)

    return check


def _type(value: Any) -> EventType:
    try:
        return EventType(value)
    except ValueError:
        names = ", ".join(t.value for t in EventType)
        raise ValueError(f"must be one of {names}, got {got(value)}") from None


def _cart_id(value: Any, *, required: bool) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError("is required")
        return None
    return _text(value, 128)


def _currency(value: Any) -> str:
    return DEFAULT_CURRENCY if value is None else parse_currency(value)


def _text(value: Any, max_length: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {got(value)}")
    text = value.strip()
    if len(text) > max_length:
        raise ValueError(f"must be at most {max_length} characters, got {len(text)}")
    return text


def _optional_text(value: Any, max_length: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(value, max_length)


def _consent(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"must be true, false or null, got {got(value)}")


def _contact(
    check: Callable[..., Any], errors: list[FieldError], data: Any
) -> ContactDetails | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        errors.append(FieldError("customer", "must be an object"))
        return None
    limits = {"phone": 32, "first_name": 100, "last_name": 100}
    values = {
        name: check(f"customer.{name}", lambda v, n=limit: _optional_text(v, n), data.get(name))
        for name, limit in limits.items()
    }
    return ContactDetails(
        email=check("customer.email", _email, data.get("email")),
        accepts_marketing=check(
            "customer.accepts_marketing", _consent, data.get("accepts_marketing")
        ),
        **values,
    )


def _items(
    check: Callable[..., Any], errors: list[FieldError], data: Any, *, priced: bool
) -> tuple[CartItemSnapshot, ...]:
    if data is None:
        errors.append(FieldError("items", "is required (an empty list for an emptied cart)"))
        return ()
    if not isinstance(data, list):
        errors.append(FieldError("items", "must be a list of items"))
        return ()
    if len(data) > MAX_ITEMS:
        errors.append(FieldError("items", f"must have at most {MAX_ITEMS} items"))
        return ()
    items = []
    for i, item in enumerate(data):
        path = f"items[{i}]"
        if not isinstance(item, Mapping):
            errors.append(FieldError(path, "must be an object"))
            continue
        quantity, price = item.get("quantity"), item.get("unit_price")
        items.append(
            CartItemSnapshot(
                sku=check(f"{path}.sku", _sku, item.get("sku")),
                quantity=check(f"{path}.quantity", parse_quantity, quantity if priced else 1),
                unit_price=check(f"{path}.unit_price", parse_money, price if priced else 0),
            )
        )
    return tuple(items)


def _sku(value: Any) -> str:
    sku = _optional_text(value, 64)
    if sku is None:
        raise ValueError("is required")
    return sku


def _email(value: Any) -> str | None:
    email = _optional_text(value, 320)
    if email is not None and normalize_email(email) is None:
        raise ValueError(f"is not an email address, got {got(value)}")
    return email
