"""A batch's customers, found from the orders' contact details as intake finds them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from shopcore.enums import IdentityKind
from shopcore.identity import normalize_email, normalize_phone
from shopcore.orders import UNCOUNTED
from shopcore.seed_plan import Contact, Sale

CUSTOMER_COLUMNS = (
    "id", "email", "phone", "first_name", "last_name", "company", "timezone",
    "accepts_marketing", "consent_at", "consent_source", "orders_count", "total_spent",
    "first_order_at", "last_order_at", "created_at",
)


class CustomerBook:
    """One batch's customers, found by normalised email, then phone, as intake finds them.

    Batches cannot meet: every person's email and phone are unique, and the database's unique
    identities would refuse a clash.
    """

    def __init__(self, next_id: int) -> None:
        self.next_id = next_id
        self.rows: dict[int, dict[str, Any]] = {}
        self.identities: list[tuple[Any, ...]] = []
        self._owners: dict[tuple[IdentityKind, str], int] = {}
        self._phones: dict[str, str | None] = {}  # parsing phone numbers is the slow part
        self._matched: dict[Contact, int | None] = {}

    def match(self, contact: Contact, *, source: str, seen_at: datetime) -> int | None:
        """The customer behind ``contact``, created or completed; None for a nameless guest."""
        if contact in self._matched:
            # The same details again find the same customer and add nothing but consent.
            customer_id = self._matched[contact]
            if customer_id is not None:
                self._consent(customer_id, contact.accepts_marketing, source, seen_at)
            return customer_id
        customer_id = self._matched[contact] = self._match(contact, source, seen_at)
        return customer_id

    def _match(self, contact: Contact, source: str, seen_at: datetime) -> int | None:
        email = normalize_email(contact.email)
        phone = None
        if contact.phone:
            if contact.phone not in self._phones:
                self._phones[contact.phone] = normalize_phone(contact.phone, "DE")
            phone = self._phones[contact.phone]
        keys = [
            (kind, value, raw)
            for kind, value, raw in (
                (IdentityKind.EMAIL, email, contact.email),
                (IdentityKind.PHONE, phone, contact.phone),
            )
            if value
        ]
        if not keys:
            return None
        owners = [self._owners[k, v] for k, v, _ in keys if (k, v) in self._owners]
        if owners:
            customer_id = owners[0]
        else:
            customer_id, self.next_id = self.next_id, self.next_id + 1
            self.rows[customer_id] = _new_customer(customer_id, seen_at)
        row = self.rows[customer_id]
        row["email"] = row["email"] or email
        row["phone"] = row["phone"] or phone
        row["first_name"] = row["first_name"] or contact.first_name
        row["last_name"] = row["last_name"] or contact.last_name
        row["company"] = row["company"] or contact.company
        self._consent(customer_id, contact.accepts_marketing, source, seen_at)
        for kind, value, raw in keys:
            if (kind, value) not in self._owners:
                self._owners[kind, value] = customer_id
                self.identities.append((customer_id, kind, "", value, raw, seen_at))
        return customer_id

    def _consent(self, customer_id: int, stated: bool | None, source: str, at: datetime) -> None:
        row = self.rows[customer_id]
        if stated is not None and (row["consent_at"] is None or row["accepts_marketing"] != stated):
            row.update(accepts_marketing=stated, consent_at=at, consent_source=source)

    def add_order(self, customer_id: int, sale: Sale) -> None:
        """Keep the aggregates intake keeps, by its rule; orders arrive in time order."""
        if sale.status in UNCOUNTED:
            return
        row = self.rows[customer_id]
        row["orders_count"] += 1
        row["total_spent"] += sale.total
        row["first_order_at"] = row["first_order_at"] or sale.placed_at
        row["last_order_at"] = sale.placed_at


def _new_customer(customer_id: int, seen_at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CUSTOMER_COLUMNS)
    row.update(id=customer_id, accepts_marketing=False, orders_count=0, created_at=seen_at)
    row["total_spent"] = Decimal("0.00")
    return row

