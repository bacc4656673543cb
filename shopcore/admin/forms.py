"""Reading a submitted form or filter: typed values, and an error message per field.

The text as entered is kept, so a page shows the form again with each error next to its
field and nothing retyped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)

MAX_TEXT = 200
# Dates far enough from year 1 and 9999 that a time zone's offset keeps them in range.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


class Form:
    """A form's submitted text, read field by field into values or errors."""

    def __init__(self, data: Mapping[str, str]) -> None:
        self.raw: dict[str, str] = {k: v for k, v in data.items() if k != "csrf"}
        self.errors: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, *, max_length: int = MAX_TEXT, required: bool = False) -> str | None:
        """The field's trimmed text, or None when empty."""
        value = self.raw.get(name, "").strip()
        if not value:
            if required:
                self.error(name, "Required.")
            return None
        if len(value) > max_length:
            self.error(name, f"At most {max_length} characters.")
            return None
        return value

    def choice(self, name: str, enum: type[E], *, required: bool = False) -> E | None:
        """One of ``enum``'s values, or None when empty."""
        value = self.text(name, required=required)
        if value is None:
            return None
        try:
            return enum(value.lower())
        except ValueError:
            names = ", ".join(str(m.value) for m in enum)
            self.error(name, f"Choose one of {names}.")
            return None

    def whole(self, name: str, *, minimum: int, maximum: int, required: bool = False) -> int | None:
        """A whole number in [minimum, maximum], or None when empty."""
        value = self.text(name, required=required)
        if value is None:
            return None
        if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 12:
            self.error(name, "Enter a whole number.")
            return None
        number = int(value)
        if not minimum <= number <= maximum:
            self.error(name, f"Enter a number from {minimum:,} to {maximum:,}.")
            return None
        return number

    def day(self, name: str) -> date | None:
        """A date written YYYY-MM-DD (as date inputs send it), or None when empty."""
        value = self.text(name, max_length=10)
        if value is None:
            return None
        try:
            found = date.fromisoformat(value)
        except ValueError:
            self.error(name, "Enter a date as YYYY-MM-DD.")
            return None
        if not FIRST_DAY <= found <= LAST_DAY:
            self.error(name, f"Enter a date from {FIRST_DAY} to {LAST_DAY}.")
            return None
        return found
