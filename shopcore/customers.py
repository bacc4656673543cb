"""Finding the one customer behind an order, whatever channel and spelling it came with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopcore.enums import IdentityKind
from shopcore.identity import normalize_email, normalize_phone
from shopcore.models import Customer, CustomerIdentity
from shopcore.transactions import Conflict


@dataclass(frozen=True)
class ContactDetails:
    """What a channel tells us about a buyer, as written there."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    accepts_marketing: bool | None = None
    external_id: str | None = None


def match_customer(
    session: Session,
    details: ContactDetails,
    *,
    source: str,
    region: str | None,
    seen_at: datetime,
) -> Customer | None:
    """The customer these details belong to, created or completed as needed.

    Identities are tried strongest first: the source's own customer id, then the normalised
    email, then the phone. A guest with none of them is not a customer (None).
    """
    email = normalize_email(details.email)
    phone = normalize_phone(details.phone, region)
    keys = [
        (IdentityKind.EXTERNAL, source, details.external_id, details.external_id),
        (IdentityKind.EMAIL, "", email, details.email),
        (IdentityKind.PHONE, "", phone, details.phone),
    ]
    keys = [k for k in keys if k[2]]
    if not keys:
        return None
    customer = None
    for kind, scope, value, _raw in keys:
        customer = _find(session, kind, scope, value or "")
        if customer is not None:
            break
    if customer is None:
        customer = Customer(email=email, phone=phone)
        session.add(customer)
    _complete(customer, details, email=email, phone=phone, source=source, seen_at=seen_at)
    for kind, scope, value, raw in keys:
        owner = _find(session, kind, scope, value or "")
        if owner is None:
            session.add(
                CustomerIdentity(
                    customer=customer, kind=kind, scope=scope, value=value, first_seen_raw=raw
                )
            )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as e:
        # The same person arrived on another connection a moment ago: start over, find them.
        raise Conflict("a customer identity was created concurrently") from e
    return customer


def _find(session: Session, kind: IdentityKind, scope: str, value: str) -> Customer | None:
    return session.scalar(
        select(Customer)
        .join(CustomerIdentity)
        .where(
            CustomerIdentity.kind == kind,
            CustomerIdentity.scope == scope,
            CustomerIdentity.value == value,
        )
    )


def _complete(
    customer: Customer,
    details: ContactDetails,
    *,
    email: str | None,
    phone: str | None,
    source: str,
    seen_at: datetime,
) -> None:
    """Fill what the customer record lacks; consent follows the latest statement of it."""
    customer.email = customer.email or email
    customer.phone = customer.phone or phone
    customer.first_name = customer.first_name or details.first_name
    customer.last_name = customer.last_name or details.last_name
    customer.company = customer.company or details.company
    if details.accepts_marketing is not None and (
        customer.consent_at is None or customer.consent_at <= seen_at
    ):
        if customer.accepts_marketing != details.accepts_marketing or customer.consent_at is None:
            customer.accepts_marketing = details.accepts_marketing
            customer.consent_at = seen_at
            customer.consent_source = source
