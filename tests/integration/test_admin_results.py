"""The results page on a hand-built November: a trigger's funnel with its failed sends, its
template versions, revenue against the holdout with the interval, and the NPS report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask.testing import FlaskClient

from retention.models import Message
from retention.stats import Sample, incremental_revenue
from retention.vocabulary import MessageStatus, TriggerKind
from shopcore.db import Database
from shopcore.enums import Role
from tests.factories import random_ref
from tests.integration.admin_support import signed_in, text
from tests.integration.page_figures import figures, within
from tests.integration.test_results import Store

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
HOUR = timedelta(hours=1)


def nov(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def build_results(db: Database) -> None:
    """Cross-sell: Ann clicks version 1 and orders; Bob opens version 2; Cat ignores it; one
    send fails; Dan and Eve are held out, Dan ordering anyway. Four NPS answers."""
    with db.session() as session:
        store = Store(session)
        trigger = store.trigger("Cross-sell", TriggerKind.CROSS_SELL)
        first, second = store.version("cross-sell", 1), store.version("cross-sell", 2)
        ann, bob, cat, dan, eve, fay = (store.customer() for _ in range(6))
        store.message(trigger, ann, nov(10), version_id=first, clicked_at=nov(10, 12))
        store.order(ann, nov(12), "40.00")
        store.message(trigger, bob, nov(11), version_id=second, opened_at=nov(11, 14))
        store.message(trigger, cat, nov(12), version_id=second)
        failed = store.enroll(trigger, fay, nov(13) - HOUR)
        session.add(
            Message(
                enrollment_id=failed,
                position=1,
                trigger_id=trigger,
                customer_id=fay,
                template_version_id=second,
                kind=TriggerKind.CROSS_SELL,
                to_email="fay@example.com",
                subject="Hi",
                token=random_ref(),
                status=MessageStatus.FAILED,
                error="550 no such user",
                created_at=nov(13),
            )
        )
        store.enroll(trigger, dan, nov(10), holdout=True)
        store.enroll(trigger, eve, nov(10), holdout=True)
        store.order(dan, nov(11), "10.00")
        for score in (10, 9, 7, 3):
            store.nps(store.customer(), score, nov(20))
        session.commit()


def test_a_trigger_s_funnel_counts_failed_sends_and_human_clicks(
    client: FlaskClient, db: Database
) -> None:
    build_results(db)
    signed_in(client, db, Role.VIEWER)

    response = client.get("/admin/results", query_string=NOVEMBER)

    assert response.status_code == 200
    found = figures(within(text(response), "data-trigger", "Cross-sell"))
    assert {k: found[k] for k in ("enrolled", "held-out", "sent", "delivered")} == {
        "enrolled": "6",
        "held-out": "2",
        "sent": "4",
        "delivered": "3",
    }
    assert (found["opened"], found["clicked"], found["ordered"]) == ("2", "1", "1")
    assert found["attributed-revenue"] == "40.00"


def test_incremental_revenue_against_the_holdout_comes_with_its_interval(
    client: FlaskClient, db: Database
) -> None:
    build_results(db)
    signed_in(client, db, Role.VIEWER)

    page = text(client.get("/admin/results", query_string=NOVEMBER))

    # Treated: Ann 40, Bob, Cat and Fay nothing; held out: Dan 10, Eve nothing.
    money = [Decimal("40.00"), Decimal(0), Decimal(0), Decimal(0)]
    expected = incremental_revenue(Sample.of(money), Sample.of([Decimal("10.00"), Decimal(0)]))
    assert expected.difference == Decimal("20")
    assert expected.interval is not None
    found = figures(within(page, "data-trigger", "Cross-sell"))
    assert found["incremental"] == "20.00"
    low, high = (f"{v:,.2f}" for v in expected.interval)
    assert found["interval"] == f"95%: {low} to {high}"


def test_each_template_version_has_its_own_funnel(client: FlaskClient, db: Database) -> None:
    build_results(db)
    signed_in(client, db, Role.VIEWER)

    page = text(client.get("/admin/results", query_string=NOVEMBER))

    first = figures(within(page, "data-version", "cross-sell v1"))
    second = figures(within(page, "data-version", "cross-sell v2"))
    assert first == {
        "delivered": "1",
        "opened": "1",
        "clicked": "1",
        "ordered": "1",
        "attributed-revenue": "40.00",
    }
    assert second == {
        "delivered": "2",
        "opened": "1",
        "clicked": "0",
        "ordered": "0",
        "attributed-revenue": "0.00",
    }


def test_the_nps_report_of_the_period(client: FlaskClient, db: Database) -> None:
    build_results(db)
    signed_in(client, db, Role.VIEWER)

    november = figures(text(client.get("/admin/results", query_string=NOVEMBER)))
    october = figures(
        text(client.get("/admin/results", query_string={"from": "2026-10-01", "to": "2026-10-31"}))
    )

    assert (november["nps-responses"], november["promoters"]) == ("4", "2")
    assert (november["passives"], november["detractors"]) == ("1", "1")
    assert november["nps"] == "+25"
    assert (october["nps-responses"], october["nps"]) == ("0", "—")


def test_a_period_without_messages_shows_the_triggers_with_nothing_sent(
    client: FlaskClient, db: Database
) -> None:
    build_results(db)
    signed_in(client, db, Role.VIEWER)

    page = text(
        client.get("/admin/results", query_string={"from": "2026-10-01", "to": "2026-10-31"})
    )

    found = figures(within(page, "data-trigger", "Cross-sell"))
    assert (found["sent"], found["delivered"], found["incremental"]) == ("0", "0", "—")
    assert "No messages delivered in the period." in page
