"""Importing customers: each row matched like an order's buyer, so no one is duplicated."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from shopcore.csvrows import CsvRow, RowError
from shopcore.customers import ContactDetails, match_customer
from shopcore.identity import normalize_email, normalize_phone
from shopcore.importers import IMPORT_SOURCE, FieldProblems, Item, Rejected, text_of
from shopcore.models import Customer
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
        self._flushed: _FlushWatch | None = None

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
        self._flushed = _FlushWatch(session)

    def write(self, session: Session, item: Item[ContactDetails]) -> RecordOutcome:
        assert self._flushed is not None, "prepare() comes first"
        self._flushed.reset()
        match_customer(
            session, item.value, source=IMPORT_SOURCE, region=self._region, seen_at=self._seen_at
        )
        if self._flushed.created:
            return RecordOutcome.CREATED
        return RecordOutcome.UPDATED if self._flushed.changed else RecordOutcome.UNCHANGED

    def finish(self, session: Session) -> None:
        self._flushed = None


class _FlushWatch:
    """Whether flushes since ``reset`` created a customer or changed anything at all."""

    def __init__(self, session: Session) -> None:
        self.created = self.changed = False
        event.listen(session, "before_flush", self._before_flush)

    def reset(self) -> None:
        self.created = self.changed = False

    def _before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        self.created |= any(isinstance(o, Customer) for o in session.new)
        self.changed |= bool(session.new or session.deleted) or any(
            session.is_modified(o) for o in session.dirty
        )
