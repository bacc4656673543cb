"""Snapshots behind the dashboard and the segment grid: they hold the live figures, pages
read them until they are refreshed, and a custom date range is still computed live."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from config.settings import load_settings
from retention.segments import recompute_rfm
from shopcore.dashboard_snapshot import (
    PRESETS,
    compute_figures,
    refresh_dashboard,
    refresh_dashboard_if_stale,
    stored_figures,
)
from shopcore.db import Database, utcnow
from shopcore.enums import Channel, OrderStatus, Role
from shopcore.models import Customer
from shopcore.orders import refresh_customer_totals
from shopcore.periods import last_days
from tests.integration.admin_support import signed_in, text
from tests.integration.page_figures import figures, within
from tests.integration.test_admin_dashboard import Shop

SETTINGS = load_settings(environ={}, secret_key="test")


def recent_orders(db: Database) -> list[int]:
    """Ann twice online, Bob in the shop and wholesale, a cancelled order; all this month."""
    now = utcnow()
    with db.session() as session:
        shop = Shop(session)
        ann, bob = shop.customer(), shop.customer()
        shop.order(ann, Channel.ONLINE, now - timedelta(days=2), ["TEA", "MUG"], "30.00")
        shop.order(ann, Channel.ONLINE, now - timedelta(days=40), ["TEA"], "10.00")
        shop.order(bob, Channel.RETAIL, now - timedelta(days=3), ["POT"], "20.00")
        shop.order(bob, Channel.WHOLESALE, now - timedelta(days=200), ["MUG"], "90.00")
        shop.order(
            bob, Channel.ONLINE, now - timedelta(days=1), ["TEA"], "9.00",
            status=OrderStatus.CANCELLED,
        )  # fmt: skip
        refresh_customer_totals(session, [ann.id, bob.id])
        session.commit()
        return [ann.id, bob.id]


def test_the_dashboard_snapshot_holds_the_live_figures_of_every_preset(db: Database) -> None:
    recent_orders(db)
    now = utcnow()
    today = now.astimezone(SETTINGS.zone).date()
    with db.session() as session:
        refresh_dashboard(session, SETTINGS, now=now)
        session.commit()
    with db.session() as session:
        for days in PRESETS:
            period = last_days(days, today, SETTINGS.zone)
            stored = stored_figures(session, SETTINGS, period, days)
            live = compute_figures(session, SETTINGS, period, now=now)
            assert stored.computed_at == now
            assert stored.sales == live.sales
            assert stored.activity == live.activity
            assert stored.retention == live.retention
        assert stored.activity.revenue == live.activity.revenue != 0


def test_the_page_shows_the_snapshot_s_figures_and_time_until_it_is_refreshed(
    client: FlaskClient, db: Database
) -> None:
    recent_orders(db)
    signed_in(client, db, Role.VIEWER)
    first = text(client.get("/admin/", query_string={"days": 30}))
    assert figures(first)["revenue"] == "50.00"
    with db.session() as session:
        Shop(session).order(None, Channel.RETAIL, utcnow() - timedelta(hours=1), ["TEA"], "7.00")
        session.commit()

    page = text(client.get("/admin/", query_string={"days": 30}))

    assert figures(page)["revenue"] == "50.00"
    assert 'data-freshness="snapshot"' in page
    as_of = figures(page)["as-of"]
    assert len(as_of) == 5 and as_of[2] == ":"
    with db.session() as session:
        refresh_dashboard(session, SETTINGS, now=utcnow())
        session.commit()
    assert figures(text(client.get("/admin/", query_string={"days": 30})))["revenue"] == "57.00"


def test_a_custom_date_range_is_computed_live(client: FlaskClient, db: Database) -> None:
    recent_orders(db)
    signed_in(client, db, Role.VIEWER)
    client.get("/admin/", query_string={"days": 30})  # the snapshot is taken
    with db.session() as session:
        Shop(session).order(None, Channel.RETAIL, utcnow() - timedelta(hours=1), ["TEA"], "7.00")
        session.commit()
    today = utcnow().date()
    since = (today - timedelta(days=29)).isoformat()

    page = text(client.get("/admin/", query_string={"from": since, "to": today.isoformat()}))

    assert figures(page)["revenue"] == "57.00"
    assert 'data-freshness="live"' in page and "Computed live" in page


def test_the_scheduler_pass_refreshes_a_snapshot_older_than_five_minutes(db: Database) -> None:
    now = utcnow()
    assert refresh_dashboard_if_stale(db, SETTINGS, now=now)
    assert not refresh_dashboard_if_stale(db, SETTINGS, now=now + timedelta(minutes=4))
    assert refresh_dashboard_if_stale(db, SETTINGS, now=now + timedelta(minutes=6))


def test_the_segment_page_waits_for_the_first_rfm_pass_then_shows_its_snapshot(
    client: FlaskClient, db: Database
) -> None:
    ann, _ = recent_orders(db)
    signed_in(client, db, Role.VIEWER)

    before = text(client.get("/admin/segments"))
    assert "not computed yet — run <code>shopcore rfm</code>" in before
    assert "data-cell" not in before

    with db.session() as session:
        recompute_rfm(session)
    after = text(client.get("/admin/segments"))
    assert 'data-freshness="snapshot"' in after
    scored = after.split("customers scored")[0].rsplit(">", 1)[-1].strip()
    assert scored == "2"
    # A change after the pass shows at the next pass, not before.
    with db.session() as session:
        customer = session.get(Customer, ann)
        assert customer is not None
        customer.rfm_r = customer.rfm_f = None
        session.commit()
    assert (
        after.split("customers scored")[0]
        == text(client.get("/admin/segments")).split("customers scored")[0]
    )
    champions = figures(within(after, "data-segment", "champions"))
    assert set(champions) == {"customers", "revenue", "then"}
