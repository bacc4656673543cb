"""What a webhook delivery can say, in Shopcore's terms, and the helpers adapters share.

Adapters turn a platform's JSON into one of these values; ``shopcore.deliveries`` acts on
them. Everything here is pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from shopcore.canonical import CanonicalOrder, FieldError, InvalidFields, InvalidOrder, parse_order
from shopcore.customers import ContactDetails
from shopcore.enums import CartStatus
from shopcore.identity import normalize_email
from shopcore.ordering import IncomingOrder
from shopcore.values import got, parse_timestamp

# Shopify's and WooCommerce's ids are 64-bit: above 2**53 a float would change them.
MAX_ID_DIGITS = 20
MAX_EMAIL = 320


class UnreadableBody(InvalidFields):
    """The body is not what its topic promises: not JSON, or without what it must carry."""


@dataclass(frozen=True)
class CartItemSnapshot:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class CartSnapshot:
    """A storefront cart or checkout as the store saw it at ``updated_at``."""

    external_id: str
    updated_at: datetime
    currency: str
    total: Decimal
    items: tuple[CartItemSnapshot, ...]
    contact: ContactDetails | None = None
    completed: bool = False

    @property
    def status(self) -> CartStatus:
        if self.completed:
            return CartStatus.ORDERED
        return CartStatus.OPEN if self.items else CartStatus.EMPTIED


@dataclass(frozen=True)
class CustomerReport:
    """A store's customer record: who they are and when the store last changed them."""

    contact: ContactDetails
    updated_at: datetime | None = None


@dataclass(frozen=True)
class RefundReport:
    """A refund on an order; ``restocked`` holds the units that go back to stock, by SKU."""

    order_external_id: str
    restocked: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderDeletion:
    """The store deleted (trashed) an order: all it says is which."""

    external_id: str


@dataclass(frozen=True)
class Ignored:
    """A delivery Shopcore has no use for; ``reason`` says why."""

    reason: str


Payload = IncomingOrder | RefundReport | CartSnapshot | CustomerReport | OrderDeletion | Ignored


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, with every number exact (no floats) or UnreadableBody."""
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_no_constants)
    except (ValueError, RecursionError) as e:
        # ValueError covers bad UTF-8 and over-long integers as well as bad JSON.
        raise UnreadableBody([FieldError("", f"the body is not valid JSON: {e}")]) from None
    if not isinstance(data, dict):
        raise UnreadableBody([FieldError("", "the body must be a JSON object")])
    if _holds_nul(data):
        # PostgreSQL text cannot hold NUL characters; no store sends them in earnest.
        raise UnreadableBody([FieldError("", "the body's text may not contain NUL characters")])
    return data


def _holds_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def text_id(value: Any) -> str:
    """A platform's id as text: a positive integer (exact however large) or a non-empty string."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        text = str(value)
        if len(text) <= MAX_ID_DIGITS:
            return text
    if isinstance(value, str) and value.strip() and len(value.strip()) <= 64:
        return value.strip()
    raise ValueError(f"must be a positive integer id, got {got(value)}")


def optional_id(value: Any) -> str | None:
    """An id that may be absent; 0 is how WooCommerce says "none" (a guest)."""
    if value is None or value == 0 or value == "":
        return None
    return text_id(value)


def platform_time(value: Any, *, assume_utc: bool = False) -> datetime:
    """An ISO-8601 time; ``assume_utc`` for fields that are UTC but carry no zone (``*_gmt``)."""
    if assume_utc and isinstance(value, str) and value.strip():
        text = value.strip()
        if not (text.endswith(("Z", "z")) or "+" in text[10:] or "-" in text[10:]):
            value = text + "+00:00"
    return parse_timestamp(value)


def usable_email(*candidates: Any) -> str | None:
    """The first candidate that is an email address; a store's junk is dropped, not fatal."""
    for candidate in candidates:
        if (
            isinstance(candidate, str)
            and len(candidate.strip()) <= MAX_EMAIL
            and normalize_email(candidate) is not None
        ):
            return candidate.strip()
    return None


def text_or_none(value: Any, max_length: int) -> str | None:
    """Trimmed text when it is text and fits the column; otherwise nothing."""
    if isinstance(value, str) and value.strip() and len(value.strip()) <= max_length:
        return value.strip()
    return None


def placeholder_sku(platform: str, *ids: Any) -> str:
    """A stand-in SKU for a line the store sends without one, built from its product ids.

    The sale is still recorded (its line shows as an unknown SKU for a manager to map),
    and the same product always gets the same stand-in, so refunds find the line again.
    """
    parts = [str(i) for i in ids if isinstance(i, int | str) and not isinstance(i, bool) and i]
    return "-".join([platform.upper(), *parts]) if parts else f"{platform.upper()}-UNKNOWN"


class Problems:
    """Collects the errors of one payload so they are reported together."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def check(self, path: str, parse: Any, value: Any) -> Any:
        try:
            return parse(value)
        except ValueError as e:
            self.errors.append(FieldError(path, str(e)))
            return None

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def order(self, canonical: Mapping[str, Any]) -> CanonicalOrder:
        """The canonical order, or InvalidOrder with its errors and these problems together."""
        try:
            order = parse_order(canonical)
        except InvalidOrder as e:
            raise InvalidOrder(e.errors + self.errors) from None
        if self.errors:
            raise InvalidOrder(self.errors)
        return order


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one (absent sub-objects are common)."""
    return value if isinstance(value, Mapping) else {}
