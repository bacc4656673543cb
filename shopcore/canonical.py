"""The canonical order: one shape for the generic webhook, the REST API and the CSV import.

``parse_order`` turns untrusted data (parsed JSON, or a CSV row group) into a
``CanonicalOrder`` or raises ``InvalidOrder`` listing every invalid field at once, so a
client fixes its payload in one round trip. Pure: no I/O, no session, no CSV. Money,
quantities and times are read by ``shopcore.values`` (exact decimals, floats only via
their ``repr``, aware UTC times).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from shopcore.enums import Channel
from shopcore.identity import normalize_email
from shopcore.values import (
    MAX_MONEY,
    got,
    parse_channel,
    parse_currency,
    parse_money,
    parse_quantity,
    parse_timestamp,
)

T = TypeVar("T")

_COUNTRY = re.compile(r"[A-Za-z]{2}")


@dataclass(frozen=True)
class FieldError:
    """One invalid field: its path (``lines[1].quantity``) and what is wrong with it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidFields(ValueError):
    """Data with invalid fields; ``errors`` lists every one of them."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


class InvalidOrder(InvalidFields):
    """The data is not a valid canonical order; ``errors`` lists every invalid field."""


@dataclass(frozen=True)
class CanonicalCustomer:
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    accepts_marketing: bool | None = None


@dataclass(frozen=True)
class CanonicalLine:
    sku: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class CanonicalOrder:
    external_id: str
    channel: Channel
    placed_at: datetime
    currency: str
    lines: tuple[CanonicalLine, ...]
    customer: CanonicalCustomer | None = None
    shipping_address: dict[str, str] | None = field(default=None, hash=False)
    warehouse: str | None = None

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def country(self) -> str | None:
        """The shipping country (ISO 3166 alpha-2), when the order says."""
        return (self.shipping_address or {}).get("country")


def parse_order(data: Mapping[str, Any]) -> CanonicalOrder:
    """Validate ``data`` as a canonical order, or raise InvalidOrder with every bad field."""
    if not isinstance(data, Mapping):
        raise InvalidOrder([FieldError("", "an order must be an object")])
    check = _Checker()
    order = CanonicalOrder(
        external_id=check("external_id", _external_id, data.get("external_id")),
        channel=check("channel", parse_channel, data.get("channel")),
        placed_at=check("placed_at", parse_timestamp, data.get("placed_at")),
        currency=check("currency", parse_currency, data.get("currency")),
        lines=_lines(check, data.get("lines")),
        customer=_customer(check, data.get("customer")),
        shipping_address=_address(check, data.get("shipping_address")),
        warehouse=check("warehouse", _warehouse, data.get("warehouse")),
    )
    if not check.errors and order.subtotal > MAX_MONEY:
        check.errors.append(FieldError("lines", "the order total is too large"))
    if check.errors:
        raise InvalidOrder(check.errors)
    return order


class _Checker:
    """Collects the ValueError of each field parser instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def __call__(self, path: str, parse: Callable[[Any], T], value: Any) -> T:
        try:
            return parse(value)
        except ValueError as e:
            self.errors.append(FieldError(path, str(e)))
            # A placeholder: parse_order raises before an order holding it can escape.
            return cast(T, None)


def _text(value: Any, *, max_length: int, required: bool = False) -> str | None:
    """Trimmed text; empty counts as absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError("is required")
        return None
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {got(value)}")
    text = value.strip()
    if len(text) > max_length:
        raise ValueError(f"must be at most {max_length} characters, got {len(text)}")
    return text


def _required(value: Any, max_length: int) -> str:
    return cast(str, _text(value, max_length=max_length, required=True))


def _external_id(value: Any) -> str:
    # Platforms number their orders; an id is still compared as text.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _required(value, 64)


def _warehouse(value: Any) -> str | None:
    code = _text(value, max_length=32)
    return code.upper() if code else None


def _email(value: Any) -> str | None:
    email = _text(value, max_length=320)
    if email is not None and normalize_email(email) is None:
        raise ValueError(f"is not an email address, got {got(value)}")
    return email


def _consent(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"must be true, false or null, got {got(value)}")


def _customer(check: _Checker, data: Any) -> CanonicalCustomer | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        check.errors.append(FieldError("customer", "must be an object"))
        return None
    return CanonicalCustomer(
        email=check("customer.email", _email, data.get("email")),
        phone=check("customer.phone", lambda v: _text(v, max_length=32), data.get("phone")),
        first_name=check(
            "customer.first_name", lambda v: _text(v, max_length=100), data.get("first_name")
        ),
        last_name=check(
            "customer.last_name", lambda v: _text(v, max_length=100), data.get("last_name")
        ),
        company=check("customer.company", lambda v: _text(v, max_length=200), data.get("company")),
        accepts_marketing=check(
            "customer.accepts_marketing", _consent, data.get("accepts_marketing")
        ),
    )


def _lines(check: _Checker, data: Any) -> tuple[CanonicalLine, ...]:
    if data is None:
        check.errors.append(FieldError("lines", "is required"))
        return ()
    if isinstance(data, str | bytes | Mapping) or not isinstance(data, list | tuple):
        check.errors.append(FieldError("lines", "must be a list of lines"))
        return ()
    if not data:
        check.errors.append(FieldError("lines", "must have at least one line"))
        return ()
    lines = []
    for i, item in enumerate(data):
        path = f"lines[{i}]"
        if not isinstance(item, Mapping):
            check.errors.append(FieldError(path, "must be an object"))
            continue
        line = CanonicalLine(
            sku=check(f"{path}.sku", lambda v: _required(v, 64), item.get("sku")),
            quantity=check(f"{path}.quantity", parse_quantity, item.get("quantity")),
            unit_price=check(f"{path}.unit_price", parse_money, item.get("unit_price")),
        )
        if line.quantity is not None and line.unit_price is not None:
            if line.total > MAX_MONEY:
                check.errors.append(FieldError(path, "quantity × unit_price is too large"))
        lines.append(line)
    return tuple(lines)


def _address(check: _Checker, data: Any) -> dict[str, str] | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        check.errors.append(FieldError("shipping_address", "must be an object"))
        return None
    address: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # postcodes sometimes arrive as numbers
        text = check(f"shipping_address.{key}", lambda v: _text(v, max_length=500), value)
        if text:
            address[str(key)] = text
    country = address.get("country")
    if country is not None and not _COUNTRY.fullmatch(country):
        message = f"must be a 2-letter code like DE, got {got(country)}"
        check.errors.append(FieldError("shipping_address.country", message))
    elif country is not None:
        address["country"] = country.upper()
    return address or None
