"""The dashboard's figures for its standard periods, computed in the background and stored.

Sales, activity and the retention funnel aggregate every order and message of a period, so
their cost grows with the store. ``refresh_dashboard`` computes them with the dashboard's
own queries for each preset period (the last 30, 90 and 365 days) and stores them as one
snapshot; the page reads it back in constant time. A custom date range is still computed
live by the page. The scheduler pass refreshes the snapshot when it is older than
``MAX_AGE``; a page that finds none (or one from another day) refreshes it itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from config.settings import Settings
from retention.results import MessageFunnel, overall_funnel
from shopcore.db import Database, utcnow
from shopcore.enums import Channel
from shopcore.periods import Period, buckets, last_days
from shopcore.sales_queries import (
    Activity,
    ChannelActivity,
    Sales,
    activity,
    prefer_bulk_plans,
    sales,
)
from shopcore.snapshots import Snapshot, read_snapshot, save_snapshot

NAME = "dashboard"
PRESETS = (30, 90, 365)
RETENTION_DAYS = 30
MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True)
class DashboardFigures:
    """One period's sales and activity, and the last ``RETENTION_DAYS``' retention funnel."""

    sales: Sales
    activity: Activity
    retention: MessageFunnel
    # When they were computed: the snapshot's time, or now for a live computation.
    computed_at: datetime


def compute_figures(
    session: Session, settings: Settings, period: Period, *, now: datetime
) -> DashboardFigures:
    """The figures of ``period``, computed now with the dashboard's queries."""
    prefer_bulk_plans(session)
    return DashboardFigures(
        sales(session, period, buckets(period, settings.zone)),
        activity(session, period),
        _retention(session, settings, now=now),
        now,
    )


def refresh_dashboard(session: Session, settings: Settings, *, now: datetime) -> Snapshot:
    """Compute every preset period's figures and store them as the snapshot; caller commits."""
    today = now.astimezone(settings.zone).date()
    prefer_bulk_plans(session)
    periods: dict[str, Any] = {}
    for days in PRESETS:
        period = last_days(days, today, settings.zone)
        periods[str(days)] = {
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "sales": _sales_payload(sales(session, period, buckets(period, settings.zone))),
            "activity": _activity_payload(activity(session, period)),
        }
    recent = _retention(session, settings, now=now)
    payload = {"periods": periods, "retention": _funnel_payload(recent)}
    return save_snapshot(session, NAME, payload, computed_at=now)


def refresh_dashboard_if_stale(
    database: Database, settings: Settings, *, now: datetime | None = None
) -> bool:
    """Refresh the snapshot in a session of its own when missing or older than ``MAX_AGE``."""
    now = now or utcnow()
    with database.session() as session:
        found = read_snapshot(session, NAME)
        if found is not None and now - found.computed_at < MAX_AGE:
            return False
        refresh_dashboard(session, settings, now=now)
        session.commit()
    return True


def stored_figures(
    session: Session, settings: Settings, period: Period, days: int
) -> DashboardFigures:
    """The preset period's figures from the snapshot, refreshed first if it has none for it."""
    found = read_snapshot(session, NAME)
    entry = _entry(found, period, days)
    if found is None or entry is None:
        found = refresh_dashboard(session, settings, now=utcnow())
        session.commit()
        entry = _entry(found, period, days)
        assert entry is not None, "a fresh snapshot holds every preset period"
    return DashboardFigures(
        _sales_from(entry["sales"], period, settings),
        _activity_from(entry["activity"]),
        _funnel_from(found.payload["retention"]),
        found.computed_at,
    )


def _retention(session: Session, settings: Settings, *, now: datetime) -> MessageFunnel:
    return overall_funnel(
        session,
        since=now - timedelta(days=RETENTION_DAYS),
        until=now,
        attribution_days=settings.attribution_days,
    )


def _entry(found: Snapshot | None, period: Period, days: int) -> dict[str, Any] | None:
    """The snapshot's figures for ``period``, unless it was computed on another day."""
    if found is None:
        return None
    entry: dict[str, Any] | None = found.payload.get("periods", {}).get(str(days))
    if entry is None or date.fromisoformat(entry["first"]) != period.first:
        return None
    return entry if date.fromisoformat(entry["last"]) == period.last else None


def _sales_payload(figures: Sales) -> dict[str, Any]:
    return {
        "orders": {c.value: figures.orders[c] for c in Channel},
        "revenue": {c.value: [str(r) for r in figures.revenue[c]] for c in Channel},
    }


def _sales_from(payload: dict[str, Any], period: Period, settings: Settings) -> Sales:
    return Sales(
        buckets(period, settings.zone),
        {c: list(payload["orders"][c.value]) for c in Channel},
        {c: [Decimal(r) for r in payload["revenue"][c.value]] for c in Channel},
    )


def _activity_payload(figures: Activity) -> dict[str, Any]:
    return {
        "channels": [
            [
                c.channel.value,
                c.orders,
                str(c.revenue),
                c.customers,
                c.orders_with_lines,
                c.distinct_skus,
            ]
            for c in figures.channels
        ],
        "customers": figures.customers,
        "repeat_customers": figures.repeat_customers,
        "multi_channel": figures.multi_channel,
        "customer_base": figures.customer_base,
        "sku_sample": figures.sku_sample,
    }


def _activity_from(payload: dict[str, Any]) -> Activity:
    channels = [
        ChannelActivity(Channel(c), orders, Decimal(revenue), customers, with_lines, skus)
        for c, orders, revenue, customers, with_lines, skus in payload["channels"]
    ]
    return Activity(
        channels,
        payload["customers"],
        payload["repeat_customers"],
        payload["multi_channel"],
        payload["customer_base"],
        payload["sku_sample"],
    )


def _funnel_payload(funnel: MessageFunnel) -> dict[str, Any]:
    return {
        "sent": funnel.sent,
        "opened": funnel.opened,
        "clicked": funnel.clicked,
        "ordered": funnel.ordered,
        "attributed_orders": funnel.attributed_orders,
        "attributed_revenue": str(funnel.attributed_revenue),
    }


def _funnel_from(payload: dict[str, Any]) -> MessageFunnel:
    return MessageFunnel(
        payload["sent"],
        payload["opened"],
        payload["clicked"],
        payload["ordered"],
        payload["attributed_orders"],
        Decimal(payload["attributed_revenue"]),
    )
