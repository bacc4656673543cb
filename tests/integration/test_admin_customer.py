"""The customer page: RFM scores, segment moves and the emails the customer received."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from shopcore.db import Database
from shopcore.enums import Role
from shopcore.models import SegmentMove
from tests.integration.admin_support import signed_in, text
from tests.retention_factories import add_customer, add_message


def test_a_customer_page_shows_scores_moves_and_emails(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        customer = add_customer(session, email="ann@example.com")
        customer.rfm_r, customer.rfm_f, customer.rfm_m = 2, 4, 5
        customer.segment = "at_risk"
        session.add(
            SegmentMove(
                customer_id=customer.id,
                from_segment="loyal",
                to_segment="at_risk",
                moved_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
            )
        )
        message = add_message(session, customer=customer, sent_ago=timedelta(hours=3))
        message.subject = "Your cart is waiting"
        session.commit()
        customer_id = customer.id

    page = text(signed_in(client, db, Role.VIEWER).get(f"/admin/customers/{customer_id}"))

    head, body = page.split("</title>", 1)
    assert "<table" not in head  # the page's sections are in its body, not its title
    assert "R2 F4 M5" in body and "at risk" in body
    assert "loyal" in page and "2026-11-30" in page
    assert "Your cart is waiting" in page and "sent" in page


def test_a_customer_without_scores_or_emails_says_so(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        customer = add_customer(session)
        session.commit()
        customer_id = customer.id
    page = text(signed_in(client, db, Role.VIEWER).get(f"/admin/customers/{customer_id}"))
    assert "not scored yet" in page
    assert "No segment moves yet." in page and "No emails yet." in page
