"""Withdrawing consent: an unsubscribe suppresses the address and updates the customer.

A suppression is kept by address, not by customer: the address in the email is the one
that asked, and it stays suppressed even if a later import makes it another customer's.
NPS answers, the other thing a reader does from an email, are in ``retention.nps``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.models import Message, Suppression
from retention.nps import InvalidScore, NpsLink, nps, nps_links, record_nps
from retention.tokens import message_by_token
from shopcore.db import utcnow
from shopcore.identity import normalize_email
from shopcore.models import Customer

__all__ = [
    "CONSENT_SOURCE",
    "InvalidScore",
    "NpsLink",
    "is_suppressed",
    "nps",
    "nps_links",
    "record_nps",
    "suppression_address",
    "unsubscribe",
]

CONSENT_SOURCE = "unsubscribe"


def suppression_address(email: str) -> str:
    """An address as suppressions keep it: trimmed and lower-cased."""
    return normalize_email(email) or email.strip().lower()


def unsubscribe(session: Session, token: str, *, now: datetime | None = None) -> Message | None:
    """Suppress the message's address and withdraw its customer's consent; None if unknown.

    Doing it again changes nothing. The caller commits; a concurrent unsubscribe of the same
    address loses on the unique key and, run again, finds the suppression already there.
    """
    message = message_by_token(session, token)
    if message is None:
        return None
    now = now or utcnow()
    address = suppression_address(message.to_email)
    if not is_suppressed(session, address):
        session.add(Suppression(email=address, reason=CONSENT_SOURCE, message_id=message.id))
    customer = session.get(Customer, message.customer_id)
    if customer is not None and (
        customer.accepts_marketing or customer.consent_source != CONSENT_SOURCE
    ):
        customer.accepts_marketing = False
        customer.consent_at = now
        customer.consent_source = CONSENT_SOURCE
    session.flush()
    return message


def is_suppressed(session: Session, email: str) -> bool:
    """Whether ``email`` (any spelling of it) is suppressed."""
    return bool(suppressed_among(session, [email]))


def suppressed_among(session: Session, emails: Iterable[str]) -> set[str]:
    """Those of ``emails``, as spelled there, whose address is suppressed (one query)."""
    by_address: dict[str, set[str]] = {}
    for email in emails:
        by_address.setdefault(suppression_address(email), set()).add(email)
    if not by_address:
        return set()
    found = session.scalars(select(Suppression.email).where(Suppression.email.in_(by_address)))
    return {email for address in found for email in by_address[address]}
