"""One customer behind orders from every channel, however they wrote their details."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopcore.customers import ContactDetails, match_customer
from shopcore.db import Database, utcnow
from shopcore.enums import IdentityKind
from shopcore.models import Customer, CustomerIdentity


def _match(session: Session, source: str = "shopify", **details: object) -> Customer | None:
    return match_customer(
        session,
        ContactDetails(**details),  # type: ignore[arg-type]
        source=source,
        region="DE",
        seen_at=utcnow(),
    )


def test_the_same_person_from_three_channels_is_one_customer(db: Database) -> None:
    with db.session() as session:
        online = _match(session, "shopify", email="Ann.Lee@Example.com", phone="+49 151 12345678")
        retail = _match(session, "pos", phone="0151 1234 5678")
        wholesale = _match(session, "desk", email=" ann.lee@example.COM ", company="Lee GmbH")
        session.commit()
        assert online is not None and online is retail is wholesale
        assert session.scalar(select(func.count(Customer.id))) == 1
        assert online.company == "Lee GmbH"
        raw = {i.first_seen_raw for i in online.identities}
        assert raw == {"Ann.Lee@Example.com", "+49 151 12345678"}


def test_a_guest_with_no_email_phone_or_id_is_not_a_customer(db: Database) -> None:
    with db.session() as session:
        assert _match(session, first_name="Walk-in") is None


def test_external_ids_are_scoped_to_their_source(db: Database) -> None:
    with db.session() as session:
        a = _match(session, "shopify", external_id="42")
        b = _match(session, "woo", external_id="42")
        again = _match(session, "shopify", external_id="42", email="x@example.com")
        session.commit()
        assert a is not None and a is not b and again is a


def test_an_identity_already_owned_by_someone_else_is_not_taken_over(db: Database) -> None:
    with db.session() as session:
        ann = _match(session, email="ann@example.com")
        bob = _match(session, phone="+4915199999999")
        both = _match(session, email="ann@example.com", phone="0151 99999999")
        session.commit()
        assert both is ann and ann is not bob
        owner = session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == IdentityKind.PHONE
            )
        )
        assert bob is not None and owner == bob.id


def test_consent_follows_the_latest_statement_with_its_time_and_source(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        details = ContactDetails(email="c@example.com", accepts_marketing=True)
        customer = match_customer(
            session, details, source="shopify", region="DE", seen_at=now - timedelta(days=2)
        )
        assert customer is not None
        withdrawn = ContactDetails(email="c@example.com", accepts_marketing=False)
        match_customer(session, withdrawn, source="pos", region="DE", seen_at=now)
        older = ContactDetails(email="c@example.com", accepts_marketing=True)
        match_customer(session, older, source="csv", region="DE", seen_at=now - timedelta(days=1))
        session.commit()
        assert customer.accepts_marketing is False
        assert customer.consent_source == "pos" and customer.consent_at == now
