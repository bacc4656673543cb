"""The links in retention emails over HTTP: unsubscribe, open pixel, tracked clicks, NPS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from retention.links import click_url, sign_link
from retention.models import Message, NpsResponse, Suppression, TrackingEvent
from retention.vocabulary import TrackKind, TriggerKind
from shopcore.db import Database
from shopcore.models import Customer
from tests.retention_factories import add_message

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"
SCANNER = "Mozilla/5.0 (compatible; Mimecast URL Protect)"
SECRET = "test"  # tests.integration.api_support.make_app's secret key
BASE = "http://127.0.0.1:5000"
TARGET = "https://shop.example.com/p/tea?utm_source=email&x=1"


def _message(db: Database, **fields: Any) -> Message:
    with db.session() as session:
        message = add_message(session, **fields)
        session.commit()
        return message


def _reload(db: Database, message: Message) -> Message:
    with db.session() as session:
        return session.get_one(Message, message.id)


def _customer(db: Database, message: Message) -> Customer:
    with db.session() as session:
        return session.get_one(Customer, message.customer_id)


def _suppressions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Suppression.email)))


def _events(db: Database, message: Message) -> list[TrackingEvent]:
    with db.session() as session:
        query = select(TrackingEvent).where(TrackingEvent.message_id == message.id)
        return list(session.scalars(query.order_by(TrackingEvent.id)))


def _click_path(token: str, url: str = TARGET) -> str:
    parts = urlsplit(click_url(BASE, token, url, SECRET))
    return f"{parts.path}?{parts.query}"


# Unsubscribe


def test_the_unsubscribe_page_shows_the_address_and_a_button_and_changes_nothing(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db, email="ann@example.com")
    response = client.get(f"/u/{message.token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "ann@example.com" in page and '<form method="post">' in page
    assert "<style" not in page  # the app's Content-Security-Policy allows no inline styles
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert _suppressions(db) == []
    assert _customer(db, message).accepts_marketing is True


def test_the_unsubscribe_button_suppresses_the_address_and_withdraws_consent(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db, email="Ann.Lee@Example.COM")
    response = client.post(f"/u/{message.token}")
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    assert _suppressions(db) == ["ann.lee@example.com"]
    customer = _customer(db, message)
    assert customer.accepts_marketing is False
    assert customer.consent_source == "unsubscribe"
    assert customer.consent_at is not None and customer.consent_at > message.sent_at  # type: ignore[operator]


def test_a_mail_clients_one_click_post_from_another_origin_unsubscribes(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db)
    response = client.post(
        f"/u/{message.token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        headers={"Origin": "https://mail.google.com", "User-Agent": "GoogleOneClick"},
    )
    assert response.status_code == 200
    assert _suppressions(db) == [message.to_email.lower()]
    assert _customer(db, message).accepts_marketing is False


def test_unsubscribing_twice_keeps_one_suppression_and_the_first_withdrawal(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db)
    assert client.post(f"/u/{message.token}").status_code == 200
    first = _customer(db, message).consent_at
    assert client.post(f"/u/{message.token}").status_code == 200
    assert client.get(f"/u/{message.token}").status_code == 200
    assert len(_suppressions(db)) == 1
    assert _customer(db, message).consent_at == first


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("token", ["unknowntoken123", "a" * 200, "bad%00token", "tok%20en"])
def test_an_unknown_or_malformed_token_is_a_404_page(
    client: FlaskClient, db: Database, method: str, token: str
) -> None:
    response = getattr(client, method)(f"/u/{token}")
    assert response.status_code == 404
    assert "Link not valid" in response.get_data(as_text=True)
    assert _suppressions(db) == []


# Opens


def test_the_open_pixel_is_an_uncached_gif_and_counts_the_first_human_open(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db)
    response = client.get(f"/t/o/{message.token}.gif", headers={"User-Agent": BROWSER})
    assert response.status_code == 200 and response.mimetype == "image/gif"
    assert response.data.startswith(b"GIF89a")
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Pragma"] == "no-cache"
    opened_at = _reload(db, message).opened_at
    assert opened_at is not None
    client.get(f"/t/o/{message.token}.gif", headers={"User-Agent": BROWSER})
    assert _reload(db, message).opened_at == opened_at
    assert [(e.kind, e.human) for e in _events(db, message)] == [(TrackKind.OPEN, True)] * 2


def test_the_open_pixel_of_an_unknown_token_is_still_a_pixel(client: FlaskClient) -> None:
    response = client.get("/t/o/nosuchtoken.gif")
    assert response.status_code == 200 and response.mimetype == "image/gif"


def test_a_gateway_fetching_images_at_delivery_is_kept_but_not_counted(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db, sent_ago=timedelta(seconds=1))
    client.get(f"/t/o/{message.token}.gif", headers={"User-Agent": BROWSER})
    assert _reload(db, message).opened_at is None
    [event] = _events(db, message)
    assert (event.human, event.reason, event.user_agent) == (False, "too_soon", BROWSER)


# Clicks


def test_a_signed_click_is_counted_once_and_redirects_to_its_target(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db)
    response = client.get(_click_path(message.token), headers={"User-Agent": BROWSER})
    assert response.status_code == 302 and response.headers["Location"] == TARGET
    assert response.headers["Referrer-Policy"] == "no-referrer"
    first = _reload(db, message)
    assert first.clicked_at is not None
    assert first.opened_at == first.clicked_at  # a click means the email was open
    client.get(_click_path(message.token), headers={"User-Agent": BROWSER})
    assert _reload(db, message).clicked_at == first.clicked_at
    events = _events(db, message)
    assert [(e.kind, e.url, e.human) for e in events] == [(TrackKind.CLICK, TARGET, True)] * 2


@pytest.mark.parametrize(
    "method, user_agent, reason",
    [
        ("get", SCANNER, "link_scanner"),
        ("head", BROWSER, "head_request"),
        ("get", "", "no_user_agent"),
    ],
)
def test_scanner_and_head_clicks_are_kept_but_not_counted(
    client: FlaskClient, db: Database, method: str, user_agent: str, reason: str
) -> None:
    message = _message(db)
    response = getattr(client, method)(
        _click_path(message.token), headers={"User-Agent": user_agent}
    )
    assert response.status_code == 302 and response.headers["Location"] == TARGET
    assert _reload(db, message).clicked_at is None
    [event] = _events(db, message)
    assert (event.kind, event.human, event.reason) == (TrackKind.CLICK, False, reason)


def test_a_human_click_after_a_scanners_is_the_one_counted(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db)
    client.get(_click_path(message.token), headers={"User-Agent": SCANNER})
    assert _reload(db, message).clicked_at is None
    client.get(_click_path(message.token), headers={"User-Agent": BROWSER})
    assert _reload(db, message).clicked_at is not None
    assert [e.human for e in _events(db, message)] == [False, True]


def test_a_bad_or_missing_signature_is_a_400_and_never_a_redirect(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db)
    token = message.token
    good = sign_link(SECRET, token, TARGET)
    for query in [
        {"u": "https://evil.example/", "s": good},
        {"u": TARGET, "s": good[:-2]},
        {"u": TARGET, "s": sign_link("another secret", token, TARGET)},
        {"u": TARGET},
        {"s": good},
        {},
        {"u": "javascript:alert(1)", "s": sign_link(SECRET, token, "javascript:alert(1)")},
        {"u": "https://evil.example/\x00", "s": "x"},
    ]:
        response = client.get(f"/t/c/{token}", query_string=query)
        assert response.status_code == 400, query
        assert "Location" not in response.headers
    assert _events(db, message) == []


def test_a_signed_link_of_a_deleted_message_still_takes_the_reader_there(
    client: FlaskClient,
) -> None:
    response = client.get(_click_path("gonetoken123"), headers={"User-Agent": BROWSER})
    assert response.status_code == 302 and response.headers["Location"] == TARGET


# NPS


def _answers(db: Database, message: Message) -> list[int]:
    with db.session() as session:
        query = select(NpsResponse.score).where(NpsResponse.message_id == message.id)
        return list(session.scalars(query))


def test_a_clicked_score_is_kept_and_a_second_click_replaces_it(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db, kind=TriggerKind.NPS)
    response = client.get(f"/nps/{message.token}/9", headers={"User-Agent": BROWSER})
    assert response.status_code == 200
    assert "9 out of 10" in response.get_data(as_text=True)
    assert _answers(db, message) == [9]
    client.get(f"/nps/{message.token}/3", headers={"User-Agent": BROWSER})
    assert _answers(db, message) == [3]


def test_a_scanner_following_every_score_link_answers_nothing(
    client: FlaskClient, db: Database
) -> None:
    message = _message(db, kind=TriggerKind.NPS)
    for score in range(11):
        response = client.get(f"/nps/{message.token}/{score}", headers={"User-Agent": SCANNER})
        assert response.status_code == 200
    assert (
        client.head(f"/nps/{message.token}/10", headers={"User-Agent": BROWSER}).status_code == 200
    )
    assert _answers(db, message) == []


@pytest.mark.parametrize(
    "path",
    [
        "/nps/{token}/11",
        "/nps/{token}/-1",
        "/nps/{token}/x",
        "/nps/{token}/99999999999999999999999",
        "/nps/nosuchtoken1/5",
    ],
)
def test_a_score_outside_0_to_10_or_an_unknown_token_is_a_404(
    client: FlaskClient, db: Database, path: str
) -> None:
    message = _message(db, kind=TriggerKind.NPS)
    response = client.get(path.format(token=message.token), headers={"User-Agent": BROWSER})
    assert response.status_code == 404
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(NpsResponse)) == 0


# Nothing a client sends is a 5xx


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("post", "/t/o/x.gif", 405),
        ("get", "/t/o/%00.gif", 200),
        ("get", "/t/c/%00?u=%00&s=%00", 400),
        ("get", "/u/%F0%9F%98%80", 404),
        ("post", "/nps/x/1", 405),
        ("get", "/t/c/" + "a" * 5000 + "?u=" + "b" * 20000, 400),
    ],
)
def test_odd_requests_get_a_4xx_or_the_pixel(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = getattr(client, method)(path, headers={"User-Agent": "x\x00y"})
    assert response.status_code == status
