"""Reading the values clients send (money, quantities, times, channels, currencies) exactly.

Each parser takes what JSON or a CSV cell holds and returns the typed value, or raises
ValueError with a message that quotes what it got, ready to show next to the field's name.

Money is ``Decimal`` with at most two places. Strings ("4.50") and ints are the normal
forms. Floats are accepted because JSON clients send numbers, but only through ``repr``,
the shortest text that reads back as the same float: 4.5 becomes exactly 4.50, and a float
that is not a whole number of cents (0.1 + 0.2 = 0.30000000000000004) is an error rather
than silently rounded. Callers that can should parse JSON with ``parse_float=Decimal``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shopcore.enums import Channel

CENT = Decimal("0.01")
# The largest amount a Numeric(14, 2) column holds.
MAX_MONEY = Decimal("999999999999.99")
# The largest quantity an INTEGER column holds.
MAX_QUANTITY = 2**31 - 1

_MONEY_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_WHOLE_TEXT = re.compile(r"[+-]?[0-9]+")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def got(value: Any) -> str:
    """``value`` as it should be quoted in an error message, cut short if long."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_money(value: Any) -> Decimal:
    """A non-negative amount with at most two decimal places, exactly as written."""
    if _missing(value):
        raise ValueError("is required")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, str) and _MONEY_TEXT.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    else:
        raise ValueError(f"must be a decimal amount like 4.50, got {got(value)}")
    if not amount.is_finite():
        raise ValueError(f"must be a finite amount, got {got(value)}")
    if amount < 0:
        raise ValueError(f"must not be negative, got {got(value)}")
    if amount > MAX_MONEY:
        raise ValueError(f"is too large, got {got(value)}")
    cents = amount.quantize(CENT)
    if cents != amount:
        raise ValueError(f"must have at most 2 decimal places, got {got(value)}")
    return cents + 0  # + 0 turns -0.00 into 0.00


def parse_whole(value: Any, *, minimum: int, maximum: int = MAX_QUANTITY) -> int:
    """A whole number in [minimum, maximum], from an int or its decimal text."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _WHOLE_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not minimum <= number <= maximum:
        kind = "positive" if minimum == 1 else "non-negative" if minimum == 0 else "valid"
        raise ValueError(f"must be a {kind} whole number, got {got(value)}")
    return number


def parse_quantity(value: Any) -> int:
    if _missing(value):
        raise ValueError("is required")
    return parse_whole(value, minimum=1)


def parse_channel(value: Any) -> Channel:
    if _missing(value):
        raise ValueError("is required")
    try:
        return Channel(str(value).strip().lower())
    except ValueError:
        names = ", ".join(c.value for c in Channel)
        raise ValueError(f"must be one of {names}, got {got(value)}") from None


def parse_timestamp(value: Any) -> datetime:
    """An ISO-8601 time with its zone (``Z`` allowed), as an aware UTC datetime."""
    if _missing(value):
        raise ValueError("is required")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"must be an ISO-8601 time, got {got(value)}") from None
    else:
        raise ValueError(f"must be an ISO-8601 time, got {got(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"must include a time zone (Z or +01:00), got {got(value)}")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:59:59-01:00 is a valid text whose UTC time is past year 9999.
        raise ValueError(f"is out of range, got {got(value)}") from None


def parse_currency(value: Any) -> str:
    if _missing(value):
        raise ValueError("is required")
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value.strip()):
        raise ValueError(f"must be a 3-letter currency code like EUR, got {got(value)}")
    return value.strip().upper()
