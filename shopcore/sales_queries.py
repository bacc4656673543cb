"""The dashboard's sales figures for a period, each one aggregate query over its orders.

Every query reads the period's orders through the index on ``placed_at`` and groups in the
database; only counted orders take part (not tests, not cancelled or refunded), as in the
customers' totals. SKUs per order need the order lines as well: past ``SKU_SAMPLE`` orders
they are counted on the period's latest ``SKU_SAMPLE`` orders, which is plenty for a mean
and keeps the page's cost bounded however busy the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    distinct,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from shopcore.enums import Channel
from shopcore.models import Customer, Order, OrderLine
from shopcore.orders import UNCOUNTED
from shopcore.periods import Bucket, Period

ZERO = Decimal(0)
CENT = Decimal("0.01")
SKU_SAMPLE = 10_000
# For this transaction only: sorts and hashes of a few hundred thousand rows stay in
# memory, and no query pays JIT compilation, which costs more than it saves at this size.
_BULK_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")


@dataclass(frozen=True)
class ChannelActivity:
    """One channel's counted orders in the period and the customers who placed them."""

    channel: Channel
    orders: int
    revenue: Decimal
    customers: int
    # Orders with lines, and the sum over them of their distinct SKUs.
    orders_with_lines: int
    distinct_skus: int

    @property
    def skus_per_order(self) -> Decimal | None:
        if not self.orders_with_lines:
            return None
        return Decimal(self.distinct_skus) / self.orders_with_lines


@dataclass(frozen=True)
class Activity:
    """The period across channels; ``customers`` counts each customer once."""

    channels: list[ChannelActivity]
    customers: int
    # Customers of the period who had ordered before it, or ordered twice in it.
    repeat_customers: int
    # Customers of the period who bought in more than one channel in it.
    multi_channel: int
    # Customers with at least one counted order ever: the base shares are taken of.
    customer_base: int
    # How many of the period's latest orders SKUs per order come from; None: from all.
    sku_sample: int | None

    @property
    def orders(self) -> int:
        return sum(c.orders for c in self.channels)

    @property
    def revenue(self) -> Decimal:
        return sum((c.revenue for c in self.channels), ZERO)

    @property
    def skus_per_order(self) -> Decimal | None:
        with_lines = sum(c.orders_with_lines for c in self.channels)
        skus = sum(c.distinct_skus for c in self.channels)
        return Decimal(skus) / with_lines if with_lines else None

    @property
    def repeat_rate(self) -> Decimal | None:
        return Decimal(self.repeat_customers) / self.customers if self.customers else None

    def share_of_base(self, customers: int) -> Decimal | None:
        return Decimal(customers) / self.customer_base if self.customer_base else None


@dataclass(frozen=True)
class Sales:
    """Orders and revenue per bucket and channel, zeros included, oldest bucket first."""

    buckets: list[Bucket]
    orders: dict[Channel, list[int]]
    revenue: dict[Channel, list[Decimal]]


def counted(period: Period) -> ColumnElement[bool]:
    """Counted orders placed in the period."""
    return and_(
        Order.placed_at >= period.since,
        Order.placed_at < period.until,
        Order.is_test.is_(False),
        Order.status.not_in(UNCOUNTED),
    )


def bucket_index(column: Any, buckets: list[Bucket]) -> ColumnElement[Any]:
    """SQL for the index of the bucket ``column`` falls in (it must fall in one)."""
    if len(buckets) == 1:
        return literal_column("0")
    return case(
        *((column < b.until, literal_column(str(i))) for i, b in enumerate(buckets[:-1])),
        else_=literal_column(str(len(buckets) - 1)),
    )


def sales(session: Session, period: Period, buckets: list[Bucket]) -> Sales:
    """Counted orders and their revenue per bucket and channel."""
    # Grouped outside: PostgreSQL cannot tell that a CASE with bound parameters in the
    # select list is the same expression as its copy in GROUP BY.
    placed = select(
        bucket_index(Order.placed_at, buckets).label("bucket"), Order.channel, Order.total
    ).where(counted(period))
    inner = placed.subquery("placed")
    rows = session.execute(
        select(inner.c.bucket, inner.c.channel, func.count(), func.sum(inner.c.total)).group_by(
            inner.c.bucket, inner.c.channel
        )
    )
    orders = {c: [0] * len(buckets) for c in Channel}
    revenue = {c: [ZERO] * len(buckets) for c in Channel}
    for bucket, channel, count, total in rows:
        orders[channel][int(bucket)] = count
        revenue[channel][int(bucket)] = money(total)
    return Sales(buckets, orders, revenue)


def activity(session: Session, period: Period) -> Activity:
    """Per channel orders, revenue, customers and SKUs per order; repeat buyers; the base."""
    totals = {
        channel: (orders, money(revenue), customers)
        for channel, orders, revenue, customers in session.execute(
            select(
                Order.channel,
                func.count(Order.id),
                func.sum(Order.total),
                func.count(distinct(Order.customer_id)),
            )
            .where(counted(period))
            .group_by(Order.channel)
        )
    }
    skus = _skus(session, period)
    channels = [
        ChannelActivity(c, *totals.get(c, (0, ZERO, 0)), *skus.get(c, (0, 0))) for c in Channel
    ]
    customers, repeat, multi = _customers(session, period)
    base = session.scalar(select(func.count(Customer.id)).where(Customer.orders_count > 0))
    sample = SKU_SAMPLE if sum(t[0] for t in totals.values()) > SKU_SAMPLE else None
    return Activity(channels, customers, repeat, multi, base or 0, sample)


def prefer_bulk_plans(session: Session) -> None:
    """Plan the rest of this transaction's queries for aggregating many rows (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        for setting in _BULK_SETTINGS:
            session.execute(text(setting))


def _skus(session: Session, period: Period) -> dict[Channel, tuple[int, int]]:
    """Per channel: orders with lines, and their distinct SKUs added up (latest orders first)."""
    distinct_skus = (
        select(func.count(distinct(OrderLine.sku)))
        .where(OrderLine.order_id == Order.id)
        .scalar_subquery()
    )
    latest = (
        select(Order.channel, distinct_skus.label("skus"))
        .where(counted(period))
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(SKU_SAMPLE)
        .subquery("latest")
    )
    rows = session.execute(
        select(latest.c.channel, func.count(), func.sum(latest.c.skus))
        .where(latest.c.skus > 0)
        .group_by(latest.c.channel)
    )
    return {channel: (orders, int(total or 0)) for channel, orders, total in rows}


def _customers(session: Session, period: Period) -> tuple[int, int, int]:
    """Customers with a counted order in the period; those buying again; in several channels."""
    per_customer = (
        select(
            Order.customer_id,
            func.count().label("orders"),
            func.count(distinct(Order.channel)).label("channels"),
        )
        .where(counted(period), Order.customer_id.is_not(None))
        .group_by(Order.customer_id)
        .subquery("per_customer")
    )
    again = or_(per_customer.c.orders > 1, Customer.first_order_at < period.since)

    def how_many(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    customers, repeat, multi = session.execute(
        select(func.count(), how_many(again), how_many(per_customer.c.channels > 1))
        .select_from(per_customer)
        .join(Customer, Customer.id == per_customer.c.customer_id)
    ).one()
    return int(customers), int(repeat), int(multi)


def money(value: Any) -> Decimal:
    """A sum read back as Decimal to the cent (SQLite hands sums back as floats)."""
    if value is None:
        return ZERO
    found = value if isinstance(value, Decimal) else Decimal(str(value))
    return found.quantize(CENT)
