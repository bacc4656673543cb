"""The messages pages: the filtered, paged list; a message with its opens and clicks; the
outbox, whose emails are shown inert in a sandboxed frame."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from retention.links import click_url, nps_url, open_pixel_url, tracked_html
from retention.models import Message, OutboxEmail, TrackingEvent
from retention.vocabulary import MessageStatus, TrackKind, TriggerKind
from shopcore.db import Database, utcnow
from shopcore.enums import IdentityKind, Role
from shopcore.models import CustomerIdentity
from tests.integration.admin_support import kept_email, signed_in, text
from tests.retention_factories import add_customer, add_message

BASE = "http://127.0.0.1:5000"


def message(session: Session, kind: TriggerKind, **fields: object) -> Message:
    made = add_message(session, kind=kind)
    for name, value in fields.items():
        setattr(made, name, value)
    session.flush()
    return made


def listed(client: FlaskClient, **query: str) -> set[int]:
    response = client.get("/admin/messages", query_string=query)
    assert response.status_code == 200, text(response)
    page = text(response)
    return {int(part.split('"')[0]) for part in page.split('data-message="')[1:]}


def test_messages_filter_by_trigger_kind_status_and_the_customer_s_email(
    client: FlaskClient, db: Database
) -> None:
    with db.session() as session:
        ann = add_customer(session, email="ann@example.com")
        session.add(
            CustomerIdentity(
                customer_id=ann.id, kind=IdentityKind.EMAIL, scope="", value="ann@example.com"
            )
        )
        welcome = add_message(session, kind=TriggerKind.WELCOME, customer=ann)
        cart = message(session, TriggerKind.ABANDONED_CART)
        failed = message(
            session, TriggerKind.ABANDONED_CART, status=MessageStatus.FAILED, sent_at=None
        )
        session.commit()
        ids = {"welcome": welcome.id, "cart": cart.id, "failed": failed.id}
    signed_in(client, db, Role.VIEWER)

    assert listed(client) == set(ids.values())
    assert listed(client, kind="abandoned_cart") == {ids["cart"], ids["failed"]}
    assert listed(client, status="failed") == {ids["failed"]}
    assert listed(client, kind="abandoned_cart", status="sent") == {ids["cart"]}
    assert listed(client, email=" Ann@Example.com ") == {ids["welcome"]}
    assert listed(client, email="nobody@example.com") == set()
    refused = client.get("/admin/messages", query_string={"status": "bounced"})
    assert refused.status_code == 422
    assert "Choose one of sending, sent, failed." in text(refused)


def test_the_message_list_is_paged_newest_first(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        ids = [message(session, TriggerKind.WELCOME).id for _ in range(52)]
        session.commit()
    signed_in(client, db, Role.VIEWER)

    first = text(client.get("/admin/messages"))
    shown = [int(p.split('"')[0]) for p in first.split('data-message="')[1:]]
    assert shown == ids[::-1][:50]
    after = first.split('href="/admin/messages?after=')[1].split('"')[0]
    second = listed(client, after=after)
    assert second == {ids[0], ids[1]}


def test_a_message_shows_its_opens_and_clicks_human_or_not(
    client: FlaskClient, db: Database
) -> None:
    now = utcnow()
    with db.session() as session:
        sent = message(session, TriggerKind.CROSS_SELL, subject="Tea you might like")
        for kind, human, reason, ago in (
            (TrackKind.OPEN, True, None, 50),
            (TrackKind.CLICK, False, "too_fast", 59),
            (TrackKind.CLICK, True, None, 40),
        ):
            session.add(
                TrackingEvent(
                    message_id=sent.id,
                    kind=kind,
                    url="https://shop.example.com/tea" if kind == TrackKind.CLICK else None,
                    human=human,
                    reason=reason,
                    user_agent="Mozilla/5.0",
                    at=now - timedelta(minutes=ago),
                )
            )
        session.commit()
        sent_id = sent.id
    signed_in(client, db, Role.VIEWER)

    page = text(client.get(f"/admin/messages/{sent_id}"))

    assert "Tea you might like" in page
    events = page.split("<h2>Opens and clicks</h2>")[1].split("</table>")[0]
    kinds = [row.split('"')[0] for row in events.split('data-event="')[1:]]
    assert kinds == ["click", "open", "click"]  # by time: the scanner came first
    assert "no: too fast" in events and "https://shop.example.com/tea" in events
    assert "Only emails kept in the outbox" in page
    assert client.get("/admin/messages/99999").status_code == 404


def test_a_kept_email_is_shown_sandboxed_with_links_that_count_nothing(
    client: FlaskClient, db: Database
) -> None:
    with db.session() as session:
        sent = message(session, TriggerKind.NPS)
        token = sent.token
        html = tracked_html(
            '<html><head><meta http-equiv="refresh" content="0; url=/nps/x/10"></head><body>'
            '<a href="https://shop.example.com/tea">Tea</a>'
            f'<a href="{nps_url(BASE, token, 10)}">10</a>'
            "<script>alert(1)</script></body></html>",
            token=token,
            base_url=BASE,
            secret="test",
        )
        kept = OutboxEmail(
            message_id=sent.id, raw=kept_email(html, "Tea: https://shop.example.com/tea")
        )
        test_send = OutboxEmail(
            message_id=None, raw=kept_email("<p>Test</p>", "Test", subject="[Test] Hi")
        )
        session.add_all([kept, test_send])
        session.commit()
        ids = {"message": sent.id, "kept": kept.id, "test": test_send.id}
    signed_in(client, db, Role.VIEWER)

    page = text(client.get(f"/admin/messages/{ids['message']}"))
    assert (
        f'<iframe class="email-preview" sandbox src="/admin/messages/outbox/{ids["kept"]}/html"'
        in page
    )
    assert "Tea: https://shop.example.com/tea" in page  # the plain-text part

    framed = client.get(f"/admin/messages/outbox/{ids['kept']}/html")

    assert framed.status_code == 200 and framed.mimetype == "text/html"
    policy = framed.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "script-src" not in policy and "frame-ancestors 'self'" in policy
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    body = text(framed)
    assert "href=" not in body
    assert "http-equiv" not in body
    assert click_url(BASE, token, "https://shop.example.com/tea", "test") not in body
    assert "Links are not followed here: https://shop.example.com/tea" in body
    assert f"Links are not followed here: {nps_url(BASE, token, 10)}" in body
    assert open_pixel_url(BASE, token) in body  # still there, but img-src lets no request out

    outbox = text(client.get("/admin/messages/outbox"))
    assert f'data-kept="{ids["kept"]}"' in outbox and f'data-kept="{ids["test"]}"' in outbox
    assert "test send" in outbox
    test_page = text(client.get(f"/admin/messages/outbox/{ids['test']}"))
    assert "[Test] Hi" in test_page and "a test send, counted nowhere" in test_page
    assert client.get("/admin/messages/outbox/99999/html").status_code == 404
