"""Trigger flows end to end inside one process: events enroll, the pass claims, the job sends.

Clock times are explicit (``now=``), so delays, quiet hours and caps are tested at the
moments they matter. Messages go to the outbox here; tests/e2e sends through Redis, an RQ
worker and a real SMTP server.
"""

from __future__ import annotations

import email
import socket
from datetime import UTC, datetime, timedelta
from email.message import Message as MimeMessage
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from config.settings import Settings, load_settings
from retention.defaults import install_defaults
from retention.models import (
    Enrollment,
    EnrollmentStep,
    Message,
    OutboxEmail,
    Suppression,
    Trigger,
)
from retention.scheduler import tick
from retention.sending import send_steps
from retention.vocabulary import MessageStatus, StepStatus
from shopcore import queue as shopcore_queue
from shopcore.db import Database
from shopcore.models import Customer, Product, SegmentMove
from tests.factories import random_email
from tests.fakes import RecordingQueue
from tests.integration.api_support import Shop, post_cart_event, post_order

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _settings(db: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db.engine.url.render_as_string(hide_password=False),
        "secret_key": "test",
        "quiet_hours": "",
        "base_url": "https://shop.test",
    }
    values.update(overrides)
    return load_settings(environ={}, **values)


def _install(db: Database, *, holdout: int = 0, only: str | None = None) -> None:
    with db.session() as session:
        install_defaults(session)
        session.execute(update(Trigger).values(holdout_percent=holdout))
        if only is not None:
            session.execute(update(Trigger).where(Trigger.name != only).values(enabled=False))
        session.commit()


def _cart_event(
    client: FlaskClient, auth: dict[str, str], shop: Shop, address: str, at: datetime, **kw: Any
) -> None:
    items = kw.get("items", [{"sku": shop.tea, "quantity": 2, "unit_price": "4.50"}])
    post_cart_event(
        client, auth, address, at, items, cart_id=kw.get("cart_id"), consent=kw.get("consent", True)
    )


def _order(
    client: FlaskClient, auth: dict[str, str], shop: Shop, address: str, at: datetime
) -> None:
    post_order(client, auth, shop.tea, address, at)


@pytest.fixture(autouse=True)
def jobs(app: Flask, monkeypatch: pytest.MonkeyPatch) -> RecordingQueue:
    """Send jobs are kept, then run by the test with its own clock and settings."""
    queue = RecordingQueue()
    monkeypatch.setattr(shopcore_queue, "_queue", queue)
    return queue


def _tick(db: Database, settings: Settings, now: datetime, jobs: RecordingQueue) -> list[int]:
    """One scheduler pass at ``now``; the step ids it queued."""
    report = tick(db, settings, now=now)
    calls = jobs.take()
    assert all(call.name == "retention.jobs.send_steps_job" for call in calls)
    ids = [step_id for call in calls for step_id in call.args[0]]
    assert len(ids) == report.claimed
    return ids


def _run(db: Database, settings: Settings, now: datetime, jobs: RecordingQueue) -> None:
    """One scheduler pass and the send jobs it queued, at ``now``."""
    claimed = _tick(db, settings, now, jobs)
    if claimed:
        send_steps(db, settings, claimed, now=now)


def _outbox(db: Database) -> list[MimeMessage]:
    with db.session() as session:
        return [email.message_from_string(raw) for raw in session.scalars(select(OutboxEmail.raw))]


def _steps(db: Database) -> list[tuple[int, str, str | None]]:
    with db.session() as session:
        rows = session.execute(
            select(EnrollmentStep.position, EnrollmentStep.status, EnrollmentStep.note).order_by(
                EnrollmentStep.id
            )
        )
        return [(position, status.value, note) for position, status, note in rows]


def test_an_abandoned_cart_gets_one_email_with_its_items_after_an_hour(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Abandoned cart")
    settings = _settings(db)
    _cart_event(client, auth, shop, "ann@example.com", T0)

    _run(db, settings, T0 + timedelta(minutes=59), jobs)
    assert _outbox(db) == []
    _run(db, settings, T0 + timedelta(minutes=61), jobs)
    _run(db, settings, T0 + timedelta(minutes=62), jobs)

    (sent,) = _outbox(db)
    assert sent["To"] == "ann@example.com"
    assert sent["X-Shopcore-Trigger"] == "abandoned_cart"
    assert sent["List-Unsubscribe"].startswith("<https://shop.test/u/")
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = next(p for p in sent.walk() if p.get_content_type() == "text/html")
    text = next(p for p in sent.walk() if p.get_content_type() == "text/plain")
    assert "Test product" in html.get_payload(decode=True).decode()
    assert "EUR 9.00" in text.get_payload(decode=True).decode()
    assert _steps(db) == [(1, "sent", None), (2, "pending", None)]


def test_an_event_two_hours_old_with_a_one_hour_delay_is_due_at_once(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Abandoned cart")
    _cart_event(client, auth, shop, "ann@example.com", T0)
    _run(db, _settings(db), T0 + timedelta(hours=2), jobs)
    assert len(_outbox(db)) == 1


def test_a_customer_who_orders_before_the_delay_gets_no_reminder(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Abandoned cart")
    settings = _settings(db)
    _cart_event(client, auth, shop, "ann@example.com", T0)
    _run(db, settings, T0 + timedelta(minutes=5), jobs)
    _order(client, auth, shop, "ann@example.com", T0 + timedelta(minutes=30))
    _run(db, settings, T0 + timedelta(hours=25), jobs)

    assert _outbox(db) == []
    assert _steps(db) == [(1, "skipped", "ordered"), (2, "skipped", "ordered")]


def test_an_unsubscribed_customer_gets_nothing_even_if_already_due(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Abandoned cart")
    settings = _settings(db)
    _cart_event(client, auth, shop, "ann@example.com", T0)
    tick(db, settings, now=T0 + timedelta(hours=2))  # claimed and queued, not yet sent
    with db.session() as session:
        session.add(Suppression(email="ann@example.com", reason="unsubscribed"))
        session.commit()
        claimed = list(session.scalars(select(EnrollmentStep.id)))
    send_steps(db, settings, claimed, now=T0 + timedelta(hours=2))
    assert _outbox(db) == []
    assert _steps(db)[0] == (1, "skipped", "unsubscribed")


def test_no_marketing_email_without_consent(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Abandoned cart")
    _cart_event(client, auth, shop, random_email(), T0, consent=False)
    _run(db, _settings(db), T0 + timedelta(hours=2), jobs)
    assert _outbox(db) == []
    with db.session() as session:
        assert session.scalar(select(func.count(Enrollment.id))) == 0


def test_quiet_hours_defer_a_step_to_the_morning_in_the_shops_time_zone(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Abandoned cart")
    settings = _settings(db, quiet_hours="21:00-08:00", timezone="Europe/Berlin")
    evening = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)  # 22:30 in Berlin
    _cart_event(client, auth, shop, "ann@example.com", evening)
    _run(db, settings, evening + timedelta(hours=1), jobs)
    assert _outbox(db) == []
    with db.session() as session:
        step = session.scalars(select(EnrollmentStep).order_by(EnrollmentStep.id)).first()
        assert step is not None
        assert (step.status, step.note, step.deferrals) == (StepStatus.PENDING, "quiet hours", 1)
        assert step.due_at == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    _run(db, settings, datetime(2026, 12, 2, 7, 1, tzinfo=UTC), jobs)
    assert len(_outbox(db)) == 1


def test_a_customer_over_the_frequency_cap_is_deferred_not_dropped(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Abandoned cart")
    settings = _settings(db, frequency_cap=1, frequency_days=7)
    _cart_event(client, auth, shop, "ann@example.com", T0, cart_id="c-1")
    _run(db, settings, T0 + timedelta(hours=2), jobs)
    with db.session() as session:
        session.execute(update(Trigger).values(reentry_days=0))
        session.commit()
    _cart_event(client, auth, shop, "ann@example.com", T0 + timedelta(hours=3), cart_id="c-2")
    _run(db, settings, T0 + timedelta(hours=5), jobs)

    assert len(_outbox(db)) == 1
    with db.session() as session:
        deferred = session.scalars(
            select(EnrollmentStep).where(EnrollmentStep.note == "frequency cap")
        ).one()
        assert deferred.status == StepStatus.PENDING
        assert deferred.due_at > T0 + timedelta(days=7)


def test_holdout_members_are_enrolled_but_never_sent_to(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, holdout=90, only="Abandoned cart")
    for _ in range(20):
        _cart_event(client, auth, shop, random_email(), T0)
    _run(db, _settings(db), T0 + timedelta(hours=2), jobs)
    with db.session() as session:
        held = session.scalar(select(func.count()).where(Enrollment.holdout.is_(True)))
        treated = session.scalar(select(func.count()).where(Enrollment.holdout.is_(False)))
        held_steps = session.scalar(
            select(func.count(EnrollmentStep.id))
            .join(Enrollment)
            .where(Enrollment.holdout.is_(True))
        )
    assert held + treated == 20
    assert held >= 10  # 90 % drawn by a stable hash: all but a few
    assert held_steps == 0
    assert len(_outbox(db)) == treated


def test_two_passes_over_the_same_events_enroll_and_send_once(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Abandoned cart")
    settings = _settings(db)
    _cart_event(client, auth, shop, "ann@example.com", T0)
    now = T0 + timedelta(hours=2)
    first = tick(db, settings, now=now)
    second = tick(db, settings, now=now)
    assert (first.enrolled["Abandoned cart"], second.enrolled["Abandoned cart"]) == (1, 0)
    assert (first.claimed, second.claimed) == (1, 0)
    with db.session() as session:
        claimed = list(session.scalars(select(EnrollmentStep.id)))
    send_steps(db, settings, claimed, now=now)
    send_steps(db, settings, claimed, now=now)  # the same batch delivered twice by the queue
    assert len(_outbox(db)) == 1


def test_a_first_order_brings_a_welcome_and_a_second_one_does_not(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Welcome")
    settings = _settings(db)
    _order(client, auth, shop, "ann@example.com", T0)
    _order(client, auth, shop, "ann@example.com", T0 + timedelta(hours=1))
    _run(db, settings, T0 + timedelta(hours=4), jobs)
    (sent,) = _outbox(db)
    assert sent["X-Shopcore-Trigger"] == "welcome"


def test_a_move_into_at_risk_starts_the_win_back(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Win-back")
    _order(client, auth, shop, "ann@example.com", T0 - timedelta(days=200))
    with db.session() as session:
        customer = session.scalars(select(Customer)).one()
        customer.segment = "at_risk"
        session.add_all(
            [
                SegmentMove(
                    customer_id=customer.id,
                    from_segment=None,
                    to_segment="loyal",
                    moved_at=T0 - timedelta(days=100),
                ),
                SegmentMove(
                    customer_id=customer.id, from_segment="loyal", to_segment="at_risk", moved_at=T0
                ),
            ]
        )
        session.commit()
    _run(db, _settings(db), T0 + timedelta(minutes=1), jobs)
    (sent,) = _outbox(db)
    assert sent["X-Shopcore-Trigger"] == "win_back"
    with db.session() as session:
        assert session.scalar(select(func.count(Message.id))) == 1


@pytest.mark.parametrize("minutes", [0, 30])
def test_the_nps_survey_carries_eleven_score_links(
    client: FlaskClient,
    auth: dict[str, str],
    shop: Shop,
    db: Database,
    jobs: RecordingQueue,
    minutes: int,
) -> None:
    _install(db, only="Post-purchase NPS survey")
    _order(client, auth, shop, "ann@example.com", T0 - timedelta(days=14, minutes=minutes))
    with db.session() as session:
        session.execute(update(Customer).values(accepts_marketing=False))
        session.commit()
    # Enrolled within two days of the order, the survey falls due 14 days after it.
    tick(db, _settings(db), now=T0 - timedelta(days=13))
    _run(db, _settings(db), T0, jobs)
    (sent,) = _outbox(db)  # a service message: sent without marketing consent
    html = next(p for p in sent.walk() if p.get_content_type() == "text/html")
    body = html.get_payload(decode=True).decode()
    assert all("/nps/" in body and f">{score}<" in body for score in range(11))


def test_a_consumable_bought_a_cycle_ago_brings_a_reorder_email_with_it(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Reorder")
    with db.session() as session:
        session.execute(update(Product).values(cycle_days=30))
        session.commit()
    _order(client, auth, shop, "ann@example.com", T0 - timedelta(days=30, hours=1))
    _run(db, _settings(db), T0, jobs)
    (sent,) = _outbox(db)
    assert sent["X-Shopcore-Trigger"] == "reorder"
    html = next(p for p in sent.walk() if p.get_content_type() == "text/html")
    assert shop.tea in html.get_payload(decode=True).decode()
    _run(db, _settings(db), T0 + timedelta(hours=1), jobs)
    assert len(_outbox(db)) == 1


def test_a_relay_that_is_down_leaves_the_batch_claimed_for_a_later_pass(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database, jobs: RecordingQueue
) -> None:
    _install(db, only="Abandoned cart")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings = _settings(db, smtp_url=f"smtp://127.0.0.1:{port}")
    _cart_event(client, auth, shop, "ann@example.com", T0)
    now = T0 + timedelta(hours=2)
    claimed = _tick(db, settings, now, jobs)
    report = send_steps(db, settings, claimed, now=now)
    assert report.sent == 0
    with db.session() as session:
        assert [m.status for m in session.scalars(select(Message))] == [MessageStatus.SENDING]
        step = session.get(EnrollmentStep, claimed[0])
        assert step is not None and step.status == StepStatus.CLAIMED
