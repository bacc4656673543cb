"""Importing customers: each row matched like an order's buyer, so no one is duplicated.

Consent (``accepts_marketing``) is recorded as stated at the time of the import.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from shopcore.contacts import ContactBook
from shopcore.csvrows import CsvRow, RowError
from shopcore.customers import ContactDetails
from shopcore.identity import normalize_email, normalize_phone
from shopcore.importers import IMPORT_SOURCE, FieldProblems, Item, Rejected, text_of
from shopcore.orders import RecordOutcome

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _consent(value: str) -> bool | None:
    if not value:
        return None
    if value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise ValueError(f"must be true/false, yes/no or 1/0, got {value!r}")


class CustomerImporter:
    """Customers matched like orders' buyers, so a file never duplicates a known person."""

    REQUIRED = ("email", "phone", "first_name", "last_name", "company", "accepts_marketing")
    OPTIONAL: tuple[str, ...] = ()

    def __init__(self, *, region: str | None, seen_at: datetime) -> None:
        self._region = region
        self._seen_at = seen_at
        self._book: ContactBook

    def items(self, rows: Iterator[CsvRow]) -> Iterator[Item[ContactDetails] | Rejected]:
        for row in rows:
            if row.problem:
                yield Rejected([RowError(row.line, row.problem)])
                continue
            p = FieldProblems(row.line)
            email = p.check("email", text_of(320), row.get("email"))
            if email and normalize_email(email) is None:
                p.errors.append(
                    RowError(row.line, f"email: is not an email address, got {email!r}")
                )
            phone = p.check("phone", text_of(32), row.get("phone"))
            if phone and normalize_phone(phone, self._region) is None:
                p.errors.append(RowError(row.line, f"phone: is not a phone number, got {phone!r}"))
            if not email and not phone:
                p.errors.append(RowError(row.line, "email, phone: a customer needs one of them"))
            details = ContactDetails(
                email=email,
                phone=phone,
                first_name=p.check("first_name", text_of(100), row.get("first_name")),
                last_name=p.check("last_name", text_of(100), row.get("last_name")),
                company=p.check("company", text_of(200), row.get("company")),
                accepts_marketing=p.check(
                    "accepts_marketing", _consent, row.get("accepts_marketing")
                ),
            )
            yield Rejected(p.errors) if p.errors else Item(row.line, details)

    def prepare(self, session: Session, items: Sequence[Item[ContactDetails]]) -> None:
        self._book = ContactBook(session, source=IMPORT_SOURCE)
        self._book.prefetch((item.value, self._region) for item in items)

    def write(self, session: Session, item: Item[ContactDetails]) -> RecordOutcome:
        matched = self._book.match(item.value, region=self._region, seen_at=self._seen_at)
        return RecordOutcome(matched.outcome.value)

    def finish(self, session: Session) -> None:
        session.flush()
