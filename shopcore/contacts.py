"""Finding the customers behind a batch of orders with a few queries instead of a few per order.

``match_customer`` is the rule; this is its batch form for imports. Matching costs
queries and a flush per call even when it finds the customer and changes nothing (every
order of a returning customer), and when it creates one (most rows of a first import). A
``ContactBook`` loads the batch's identities and their customers up front and answers itself
where the rule's outcome is certain:

- the customer the rule would pick already has every email and phone given and lacks none
  of the details, and any consent stated is already on record: that customer, unchanged;
- none of the emails and phones belongs to anyone: a new customer with those identities,
  exactly as ``match_customer`` would create it, written with the rest of the batch.

Anything else (details that complete or join customers, a new consent statement, keys the
book did not load) goes to ``match_customer``. tests/integration/test_orders.py checks that
both ways leave the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcore.customers import ContactDetails, match_customer
from shopcore.enums import IdentityKind
from shopcore.identity import normalize_email, normalize_phone
from shopcore.lookups import fetch_by_keys
from shopcore.models import Customer, CustomerIdentity

Key = tuple[IdentityKind, str, str]


class MatchOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Match:
    customer: Customer | None
    outcome: MatchOutcome


class ContactBook:
    """The customers of one transaction's orders; valid only within that transaction."""

    def __init__(self, session: Session, *, source: str) -> None:
        self._session = session
        self._source = source
        # Who owns each key the book has looked up: a customer, or None for nobody yet.
        self._owners: dict[Key, Customer | None] = {}
        self._normal: dict[tuple[str | None, ...], tuple[str | None, str | None]] = {}

    def prefetch(self, contacts: Iterable[tuple[ContactDetails, str | None]]) -> None:
        """Load who owns the emails and phones of ``contacts`` (details, phone region)."""
        keys = {key for details, region in contacts for key, _ in self._keys(details, region)}
        keys -= self._owners.keys()
        if not keys:
            return
        found = fetch_by_keys(
            self._session,
            CustomerIdentity,
            (CustomerIdentity.kind, CustomerIdentity.scope, CustomerIdentity.value),
            keys,
        )
        rows = [(i.kind, i.scope, i.value, i.customer_id) for i in found]
        owner_ids = {(kind, scope, value): c for kind, scope, value, c in rows}
        wanted = sorted({c for key, c in owner_ids.items() if key in keys})
        customers = {
            c.id: c for c in self._session.scalars(select(Customer).where(Customer.id.in_(wanted)))
        }
        for key in keys:
            owner = owner_ids.get(key)
            self._owners[key] = customers[owner] if owner is not None else None

    def match(self, details: ContactDetails, *, region: str | None, seen_at: datetime) -> Match:
        """What ``match_customer`` does with these details, calling it only when it writes.

        A customer created here is pending: its row is written at the session's next flush.
        """
        keys = self._keys(details, region)
        if not keys:
            return Match(None, MatchOutcome.UNCHANGED)
        outcome = MatchOutcome.UPDATED  # what to say when the book cannot tell
        if all(key in self._owners for key, _ in keys):
            owners = [self._owners[key] for key, _ in keys]
            known = [owner for owner in owners if owner is not None]
            if not known:
                return Match(self._create(details, keys, region, seen_at), MatchOutcome.CREATED)
            # The rule's customer: the owner of the strongest key that has one.
            target = known[0]
            if not (
                None in owners
                or self._would_complete(target, details, region)
                or _would_consent(target, details, seen_at)
            ):
                return Match(target, MatchOutcome.UNCHANGED)
        # Its lookups must see the customers created here, so they are written first; then
        # its lookups would flush what it adds before them, and its own flush does the same.
        self._session.flush()
        with self._session.no_autoflush:
            customer = match_customer(
                self._session, details, source=self._source, region=region, seen_at=seen_at
            )
        if customer is not None:
            # match_customer gave every key that had no owner to this customer.
            for key, _ in keys:
                if key in self._owners and self._owners[key] is None:
                    self._owners[key] = customer
        return Match(customer, outcome)

    def _create(
        self,
        details: ContactDetails,
        keys: list[tuple[Key, str]],
        region: str | None,
        seen_at: datetime,
    ) -> Customer:
        """match_customer's new customer: normalised email and phone, names as given."""
        email, phone = self._normalized(details, region)
        customer = Customer(
            email=email,
            phone=phone,
            first_name=details.first_name,
            last_name=details.last_name,
            company=details.company,
        )
        if details.accepts_marketing is not None:
            customer.accepts_marketing = details.accepts_marketing
            customer.consent_at = seen_at
            customer.consent_source = self._source
        self._session.add(customer)
        for (kind, scope, value), raw in keys:
            self._session.add(
                CustomerIdentity(
                    customer=customer, kind=kind, scope=scope, value=value, first_seen_raw=raw
                )
            )
            self._owners[(kind, scope, value)] = customer
        return customer

    def _keys(self, details: ContactDetails, region: str | None) -> list[tuple[Key, str]]:
        """The identity keys match_customer tries, strongest first, with the raw text."""
        email, phone = self._normalized(details, region)
        keys = [
            (IdentityKind.EXTERNAL, self._source, details.external_id, details.external_id),
            (IdentityKind.EMAIL, "", email, details.email),
            (IdentityKind.PHONE, "", phone, details.phone),
        ]
        return [((kind, scope, value), raw or "") for kind, scope, value, raw in keys if value]

    def _normalized(
        self, details: ContactDetails, region: str | None
    ) -> tuple[str | None, str | None]:
        """The normalised email and phone, each worked out once per batch (phones are slow)."""
        cache_key = (details.email, details.phone, region)
        if cache_key not in self._normal:
            self._normal[cache_key] = (
                normalize_email(details.email),
                normalize_phone(details.phone, region),
            )
        return self._normal[cache_key]

    def _would_complete(
        self, customer: Customer, details: ContactDetails, region: str | None
    ) -> bool:
        """Whether match_customer would fill a detail the customer lacks (it keeps what is set)."""
        email, phone = self._normalized(details, region)
        given = {
            "email": email,
            "phone": phone,
            "first_name": details.first_name,
            "last_name": details.last_name,
            "company": details.company,
        }
        return any(
            (getattr(customer, name) or value) != getattr(customer, name)
            for name, value in given.items()
        )


def _would_consent(customer: Customer, details: ContactDetails, seen_at: datetime) -> bool:
    """Whether match_customer would record this consent statement (the latest one counts)."""
    if details.accepts_marketing is None:
        return False
    if customer.consent_at is not None and customer.consent_at > seen_at:
        return False
    return customer.accepts_marketing != details.accepts_marketing or customer.consent_at is None
