"""Finding the customers behind a batch of orders with a few queries instead of a few per order.

``match_customer`` is the rule; this is its cache. Matching costs several queries per call
even when it finds the customer and changes nothing, which is what it does for every order
of a returning customer. A ``ContactBook`` loads the batch's identities and their customers
up front and answers itself only where the rule's outcome is certain: every email and phone
given already belongs to one and the same customer, who lacks none of the details given,
and no consent is stated. Everything else goes to ``match_customer``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcore.customers import ContactDetails, match_customer
from shopcore.enums import IdentityKind
from shopcore.identity import normalize_email, normalize_phone
from shopcore.models import Customer, CustomerIdentity

Key = tuple[IdentityKind, str, str]


class ContactBook:
    """The customers of one transaction's orders; valid only within that transaction."""

    def __init__(self, session: Session, *, source: str) -> None:
        self._session = session
        self._source = source
        self._owners: dict[Key, int] = {}
        self._customers: dict[int, Customer] = {}

    def prefetch(self, contacts: Iterable[tuple[ContactDetails, str | None]]) -> None:
        """Load who owns the emails and phones of ``contacts`` (details, phone region)."""
        keys = {key for details, region in contacts for key in self._keys(details, region)}
        if not keys:
            return
        rows = self._session.execute(
            select(
                CustomerIdentity.kind,
                CustomerIdentity.scope,
                CustomerIdentity.value,
                CustomerIdentity.customer_id,
            ).where(CustomerIdentity.value.in_(sorted({value for _, _, value in keys})))
        )
        for kind, scope, value, customer_id in rows:
            if (kind, scope, value) in keys:
                self._owners[(kind, scope, value)] = customer_id
        wanted = set(self._owners.values()) - set(self._customers)
        if wanted:
            found = self._session.scalars(select(Customer).where(Customer.id.in_(sorted(wanted))))
            self._customers.update((c.id, c) for c in found)

    def match(
        self, details: ContactDetails, *, region: str | None, seen_at: datetime
    ) -> Customer | None:
        """What ``match_customer`` returns for these details, calling it only when needed."""
        keys = self._keys(details, region)
        if not keys:
            return None
        owners = {self._owners.get(key) for key in keys}
        owner = owners.pop() if len(owners) == 1 else None
        known = self._customers.get(owner) if owner is not None else None
        if known is not None and details.accepts_marketing is None:
            if not _would_complete(known, details, region):
                return known
        # Each of its lookups would otherwise flush the row the previous one added: one
        # flush at its end does the same writes (no lookup looks for this call's own rows).
        with self._session.no_autoflush:
            customer = match_customer(
                self._session, details, source=self._source, region=region, seen_at=seen_at
            )
        if customer is not None:
            # match_customer gave every key that had no owner to this customer.
            for key in keys:
                self._owners.setdefault(key, customer.id)
            self._customers[customer.id] = customer
        return customer

    def _keys(self, details: ContactDetails, region: str | None) -> list[Key]:
        keys: list[tuple[IdentityKind, str, str | None]] = [
            (IdentityKind.EXTERNAL, self._source, details.external_id),
            (IdentityKind.EMAIL, "", normalize_email(details.email)),
            (IdentityKind.PHONE, "", normalize_phone(details.phone, region)),
        ]
        return [(kind, scope, value) for kind, scope, value in keys if value]


def _would_complete(customer: Customer, details: ContactDetails, region: str | None) -> bool:
    """Whether match_customer would fill a detail the customer lacks (it keeps what is set)."""
    given = {
        "email": normalize_email(details.email),
        "phone": normalize_phone(details.phone, region),
        "first_name": details.first_name,
        "last_name": details.last_name,
        "company": details.company,
    }
    return any(
        (getattr(customer, name) or value) != getattr(customer, name)
        for name, value in given.items()
    )
