"""Which orders a message or an enrollment earns: the two windows of measurement, in SQL.

- Attribution (a message's own credit): an order by the message's customer placed after
  the message's first human click (``messages.clicked_at``; link scanners never set it)
  and at most ``attribution_days`` later. An order goes to one message only, the one with
  the latest such click before it, so two triggers never both claim the same order.
- Conversion (the holdout comparison): the revenue of an enrolled customer's orders placed
  after ``entered_at`` and at most ``conversion_days`` later, for treated and held-out
  members alike. The window opens strictly after entry so that the order which enrolled a
  customer (``entered_at`` is its ``placed_at``) is not counted as its own outcome.

Only counted orders earn anything: not test orders, not cancelled or refunded ones, the
same rule as the customer totals (``shopcore.orders.UNCOUNTED``).

Windows are whole days of 24 hours, not calendar days, so a daylight-saving change in the
database session's time zone cannot stretch or shrink them. On SQLite the window's end is
exact to the millisecond (its date functions keep no finer time).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Subquery,
    and_,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import INTERVAL

from retention.models import Enrollment, Message
from shopcore.models import Order
from shopcore.orders import UNCOUNTED


def counted_order() -> ColumnElement[bool]:
    """Orders that are revenue: a known customer, not a test, not cancelled or refunded."""
    return and_(
        Order.customer_id.is_not(None),
        Order.is_test.is_(False),
        Order.status.not_in(UNCOUNTED),
    )


def plus_days(dialect: str, moment: Any, days: int) -> ColumnElement[Any]:
    """``moment`` plus ``days`` times 24 hours, as the dialect spells it."""
    if dialect == "postgresql":
        return moment + cast(literal(f"{24 * days} hours"), INTERVAL)
    # SQLAlchemy keeps SQLite times as 'YYYY-MM-DD HH:MM:SS.ffffff' text; this writes the
    # same shape (SQLite's milliseconds padded with three zeros) so the two compare as
    # text, which also lets SQLite use the index on (customer_id, placed_at).
    shifted = func.strftime("%Y-%m-%d %H:%M:%f", moment, f"+{86400 * days} seconds")
    return shifted.op("||")("000")


def within(dialect: str, moment: Any, start: Any, days: int) -> ColumnElement[bool]:
    """``moment`` falls after ``start`` and at most ``days`` days later."""
    return and_(moment > start, moment <= plus_days(dialect, start, days))


def attributed_orders(dialect: str, *, since: datetime, attribution_days: int) -> Subquery:
    """Orders claimed by clicks from ``since`` on, with the message each one is attributed to.

    Columns: ``message_id``, ``order_id``, ``total``. Right for every message sent from
    ``since`` on, whose clicks all come later: a click before ``since`` is older than
    theirs, so it could never be the latest before one of their orders. Messages sent
    earlier but clicked later take part, and keep the orders their clicks claim.
    """
    clicks = (
        select(Message.id, Message.customer_id, Message.clicked_at)
        .where(Message.clicked_at >= since)
        .subquery("clicks")
    )
    latest_first = func.row_number().over(
        partition_by=Order.id, order_by=(clicks.c.clicked_at.desc(), clicks.c.id.desc())
    )
    candidates = (
        select(
            clicks.c.id.label("message_id"),
            Order.id.label("order_id"),
            Order.total.label("total"),
            latest_first.label("rank"),
        )
        .join(clicks, clicks.c.customer_id == Order.customer_id)
        .where(
            counted_order(),
            Order.placed_at > since,
            within(dialect, Order.placed_at, clicks.c.clicked_at, attribution_days),
        )
        .subquery("candidates")
    )
    return (
        select(candidates.c.message_id, candidates.c.order_id, candidates.c.total)
        .where(candidates.c.rank == 1)
        .subquery("attributed")
    )


def member_revenue(
    dialect: str,
    *,
    since: datetime,
    until: datetime,
    conversion_days: int,
    trigger_id: int | None = None,
) -> Subquery:
    """One row per enrollment entered in [since, until): its trigger, holdout flag, revenue.

    Columns: ``enrollment_id``, ``trigger_id``, ``holdout``, ``revenue`` (0 without orders).
    A customer enrolled twice counts twice, once per enrollment and its own window.
    """
    joined = and_(
        Order.customer_id == Enrollment.customer_id,
        counted_order(),
        within(dialect, Order.placed_at, Enrollment.entered_at, conversion_days),
    )
    query = (
        select(
            Enrollment.id.label("enrollment_id"),
            Enrollment.trigger_id,
            Enrollment.holdout,
            func.coalesce(func.sum(Order.total), 0).label("revenue"),
        )
        .outerjoin(Order, joined)
        .where(Enrollment.entered_at >= since, Enrollment.entered_at < until)
        .group_by(Enrollment.id, Enrollment.trigger_id, Enrollment.holdout)
    )
    if trigger_id is not None:
        query = query.where(Enrollment.trigger_id == trigger_id)
    return query.subquery("members")
