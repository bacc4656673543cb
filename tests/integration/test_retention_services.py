"""Retention's services on a real database: consent, tracking, NPS answers and the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from config.settings import load_settings
from retention.consent import is_suppressed, suppressed_among, unsubscribe
from retention.delivery import (
    OutboxSender,
    OutgoingEmail,
    SmtpSender,
    UnsendableEmail,
    compose,
    open_sender,
)
from retention.models import Message, NpsResponse, OutboxEmail, TrackingEvent
from retention.nps import InvalidScore, record_nps
from retention.tracking import record_click, record_open
from retention.vocabulary import TriggerKind
from shopcore.db import Database, utcnow
from shopcore.models import Customer
from tests.retention_factories import add_customer, add_message

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15"


def test_unsubscribing_suppresses_every_spelling_of_the_address(db: Database) -> None:
    with db.session() as session:
        message = add_message(session, email="  Ann@Example.com ")
        assert unsubscribe(session, message.token) is message
        session.commit()
        assert is_suppressed(session, "ann@example.com")
        assert is_suppressed(session, "ANN@EXAMPLE.COM ")
        assert not is_suppressed(session, "bob@example.com")


def test_a_batch_finds_every_suppressed_spelling_in_one_query(db: Database) -> None:
    with db.session() as session:
        message = add_message(session, email="ann@example.com")
        unsubscribe(session, message.token)
        session.commit()
        spellings = {"Ann@Example.com", " ann@example.com ", "an n@example.com", "bob@example.com"}
        found = suppressed_among(session, spellings)
    assert found == {"Ann@Example.com", " ann@example.com ", "an n@example.com"}


def test_unsubscribing_an_unknown_token_changes_nothing(db: Database) -> None:
    with db.session() as session:
        customer = add_customer(session)
        assert unsubscribe(session, "nosuchtoken") is None
        assert customer.accepts_marketing is True


def test_a_customer_who_never_consented_still_has_the_withdrawal_recorded(db: Database) -> None:
    with db.session() as session:
        customer = add_customer(session, accepts_marketing=False)
        message = add_message(session, customer=customer)
        unsubscribe(session, message.token)
        session.commit()
        refreshed = session.get_one(Customer, customer.id)
        assert (refreshed.accepts_marketing, refreshed.consent_source) == (False, "unsubscribe")


def test_only_the_first_human_click_sets_the_click_time(db: Database) -> None:
    with db.session() as session:
        message = add_message(session, sent_ago=timedelta(hours=2))
        sent = message.sent_at
        assert sent is not None
        url = "https://shop.example.com/p/tea"
        at_delivery = record_click(session, message.token, url, user_agent=BROWSER, now=sent)
        first = record_click(
            session, message.token, url, user_agent=BROWSER, now=sent + timedelta(hours=1)
        )
        again = record_click(
            session, message.token, url, user_agent=BROWSER, now=sent + timedelta(hours=2)
        )
        session.commit()
        assert at_delivery is not None and (at_delivery.human, at_delivery.reason) == (
            False,
            "too_soon",
        )
        assert first is not None and first.human and again is not None and again.human
        stored = session.get_one(Message, message.id)
        assert stored.clicked_at == sent + timedelta(hours=1)
        assert stored.opened_at == sent + timedelta(hours=1)


def test_an_open_before_the_click_keeps_its_own_time(db: Database) -> None:
    with db.session() as session:
        message = add_message(session)
        opened = utcnow() - timedelta(minutes=5)
        record_open(session, message.token, user_agent=BROWSER, now=opened)
        record_click(session, message.token, "https://shop.example.com/", user_agent=BROWSER)
        session.commit()
        stored = session.get_one(Message, message.id)
        assert stored.opened_at == opened
        assert stored.clicked_at is not None and stored.clicked_at > opened


def test_a_message_not_yet_marked_sent_is_judged_by_its_user_agent(db: Database) -> None:
    with db.session() as session:
        message = add_message(session, sent_ago=None)
        event = record_open(session, message.token, user_agent=BROWSER)
        assert event is not None and event.human


def test_long_or_nul_holding_user_agents_and_urls_are_stored_trimmed(db: Database) -> None:
    with db.session() as session:
        message = add_message(session)
        agent = "Mozilla/5.0 \x00" + "x" * 1000
        url = "https://shop.example.com/?q=" + "y" * 3000
        record_click(session, message.token, url, user_agent=agent)
        session.commit()
        event = session.scalars(select(TrackingEvent)).one()
        assert event.user_agent is not None and len(event.user_agent) == 500
        assert "\x00" not in event.user_agent
        assert event.url is not None and len(event.url) == 2000


def test_a_second_nps_answer_replaces_the_first(db: Database) -> None:
    with db.session() as session:
        message = add_message(session, kind=TriggerKind.NPS)
        record_nps(session, message.token, 4)
        session.commit()
        record_nps(session, message.token, 10)
        session.commit()
        [answer] = session.scalars(select(NpsResponse)).all()
        assert (answer.score, answer.customer_id) == (10, message.customer_id)
        assert record_nps(session, "nosuchtoken", 5) is None


@pytest.mark.parametrize("score", [-1, 11, True, 5.0, "7"])
def test_an_nps_score_must_be_a_whole_number_from_0_to_10(db: Database, score: object) -> None:
    with db.session() as session:
        message = add_message(session, kind=TriggerKind.NPS)
        with pytest.raises(InvalidScore):
            record_nps(session, message.token, score)  # type: ignore[arg-type]


def _outgoing(message: Message) -> OutgoingEmail:
    return OutgoingEmail(
        message_id=message.id,
        token=message.token,
        to=message.to_email,
        subject=message.subject,
        html="<html><body><p>Hi</p></body></html>",
        text="Hi\n",
        kind=message.kind,
    )


def test_without_an_smtp_relay_messages_are_kept_in_the_outbox(db: Database) -> None:
    settings = load_settings(environ={})
    with db.session() as session:
        first, second = add_message(session), add_message(session)
        sender = open_sender(settings, session)
        assert isinstance(sender, OutboxSender)
        with sender:
            sender.send(compose(_outgoing(first), settings))
            sender.send(compose(_outgoing(second), settings))
            # Sent again (the recovery pass): the kept copy is replaced, not doubled.
            sender.send(compose(_outgoing(first), settings))
        session.commit()
        kept = {row.message_id: row.raw for row in session.scalars(select(OutboxEmail))}
        assert set(kept) == {first.id, second.id}
        assert f"To: {first.to_email}" in kept[first.id]
        assert "X-Shopcore-Trigger: welcome" in kept[first.id]


def test_the_outbox_refuses_a_message_it_cannot_match_to_a_row(db: Database) -> None:
    settings = load_settings(environ={})
    with db.session() as session:
        message = add_message(session)
        email = _outgoing(message)
        stray = OutgoingEmail(**{**email.__dict__, "token": "nosuchtoken"})
        with pytest.raises(UnsendableEmail), OutboxSender(session) as sender:
            sender.send(compose(stray, settings))


def test_with_an_smtp_relay_the_sender_is_smtp(db: Database) -> None:
    settings = load_settings(environ={}, smtp_url="smtp://127.0.0.1:2525")
    with db.session() as session:
        assert isinstance(open_sender(settings, session), SmtpSender)
