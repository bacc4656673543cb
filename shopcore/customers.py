"""Finding the one customer behind an order, whatever channel and spelling it came with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from shopcore.enums import IdentityKind
from shopcore.identity import normalize_email, normalize_phone
from shopcore.models import Customer, CustomerIdentity


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
    candidates = [
        (IdentityKind.EXTERNAL, source, details.external_id, details.external_id),
        (IdentityKind.EMAIL, "", email, details.email),
        (IdentityKind.PHONE, "", phone, details.phone),
    ]
    keys = [(kind, scope, value, raw) for kind, scope, value, raw in candidates if value]
    if not keys:
        return None
    owners = _owners(session, [(kind, scope, value) for kind, scope, value, _ in keys])
    # The strongest identity that is known decides who this is.
    found = [owners[k[:3]] for k in keys if k[:3] in owners]
    customer = session.get(Customer, found[0]) if found else None
    if customer is None:
        customer = Customer(email=email, phone=phone)
        session.add(customer)
    _complete(customer, details, email=email, phone=phone, source=source, seen_at=seen_at)
    for kind, scope, value, raw in keys:
        if (kind, scope, value) not in owners:
            # If another connection adds this identity first, the flush raises a unique
            # violation and run_in_transaction runs the work again, finding it then.
            session.add(
                CustomerIdentity(
                    customer=customer, kind=kind, scope=scope, value=value, first_seen_raw=raw
                )
            )
    session.flush()
    return customer


def _owners(
    session: Session, keys: list[tuple[IdentityKind, str, str]]
) -> dict[tuple[IdentityKind, str, str], int]:
    """Who owns each of these identities, in one query."""
    rows = session.execute(
        select(
            CustomerIdentity.kind,
            CustomerIdentity.scope,
            CustomerIdentity.value,
            CustomerIdentity.customer_id,
        ).where(
            or_(
                *(
                    and_(
                        CustomerIdentity.kind == kind,
                        CustomerIdentity.scope == scope,
                        CustomerIdentity.value == value,
                    )
                    for kind, scope, value in keys
                )
            )
        )
    )
    return {(kind, scope, value): owner for kind, scope, value, owner in rows}


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
