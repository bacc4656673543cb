"""Products for retention emails: in stock, often bought together, and due for a reorder.

Purchase history here is every order that is neither a test nor cancelled, in all channels.
These are reads only: the scheduler pass or the send job that calls them owns the session.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    cast,
    column,
    func,
    or_,
    select,
    text,
    values,
)
from sqlalchemy.orm import Session, aliased

from inventory.models import StockLevel
from shopcore.db import UTCDateTime
from shopcore.enums import OrderStatus
from shopcore.models import Order, OrderLine, Product

# Orders holding a given product that a co-purchase count reads, the most recently recorded
# (highest ids) first: enough for a stable ranking, and a bound on the work however long a
# bestseller's history grows.
CO_PURCHASE_SAMPLE = 1000
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class ReorderDue:
    """A customer whose last purchase of a consumable has about run out."""

    customer_id: int
    product_id: int
    last_bought_at: datetime
    due_at: datetime


def median_interval(days: Sequence[float]) -> float:
    """The median of the intervals, the mean of the middle two for an even count."""
    if not days:
        raise ValueError("no intervals to take a median of")
    return float(statistics.median(days))


def choose_cycles(configured: Mapping[int, int], learned: Mapping[int, float]) -> dict[int, float]:
    """Each consumable's cycle in days: what customers actually do, else what was configured.

    A learned cycle wins because it is measured; products with neither are durable goods and
    get no reorder reminder. A cycle that is not positive could never fall due, so it is left
    out rather than trusted.
    """
    merged = {p: float(d) for p, d in configured.items()} | dict(learned)
    return {p: d for p, d in merged.items() if d > 0}


Window = tuple[datetime, datetime]  # (after, until]: open at the start, closed at the end


def merge_windows(windows: Iterable[Window]) -> list[Window]:
    """The same moments as the given (after, until] windows, in as few windows as possible."""
    merged: list[Window] = []
    for after, until in sorted(windows):
        if merged and after <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], until))
        else:
            merged.append((after, until))
    return merged


def _counted(order: Any = Order) -> ColumnElement[bool]:
    """Orders that are purchase history: no tests, nothing cancelled."""
    return and_(order.is_test.is_(False), order.status != OrderStatus.CANCELLED)


def _units_available(product_id: Any) -> ColumnElement[int]:
    """What all warehouses can still ship of the product: a subquery run once per product."""
    return (
        select(func.sum(StockLevel.on_hand - StockLevel.allocated))
        .where(StockLevel.product_id == product_id)
        .scalar_subquery()
    )


def in_stock(session: Session, product_ids: Iterable[int]) -> set[int]:
    """The given products that have available units in any warehouse."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(Product.id).where(Product.id.in_(wanted), _units_available(Product.id) > 0)
        )
    )


def bought_products(session: Session, customer_id: int) -> set[int]:
    """Every catalogue product the customer has bought, in any channel."""
    rows = session.scalars(
        select(OrderLine.product_id)
        .distinct()
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.customer_id == customer_id, _counted(), OrderLine.product_id.is_not(None))
    )
    return {p for p in rows if p is not None}


def co_purchased(
    session: Session, product_ids: Iterable[int], *, exclude: Collection[int], limit: int = 4
) -> list[int]:
    """In-stock products most often in the same orders as the given ones, best first.

    Counts how many of the latest ``CO_PURCHASE_SAMPLE`` orders of each given product (those
    that are purchase history) also hold a candidate; equal counts go by product id, so the
    same history gives the same list. The given products and ``exclude`` (what the customer
    owns already) never come back.
    """
    given = sorted(set(product_ids))
    if not given or limit <= 0:
        return []
    # A sample per product, the latest order ids holding it (tests and cancelled ones are
    # dropped when counting): with an index on (product_id, order_id), one short backward
    # walk of it. Each in a subquery, as SQLite allows no LIMIT in a UNION arm.
    samples = [
        select(OrderLine.order_id)
        .where(OrderLine.product_id == product_id)
        .order_by(OrderLine.order_id.desc())
        .limit(CO_PURCHASE_SAMPLE)
        .subquery()
        for product_id in given
    ]
    arms = [select(s.c.order_id) for s in samples]
    sampled = (arms[0].union(*arms[1:]) if len(arms) > 1 else arms[0]).subquery("sampled")
    together = func.count(func.distinct(OrderLine.order_id))
    # Stock is checked per counted product, after grouping: as a join, both databases chose
    # to walk every line of every product in stock instead of the sample (0.25-1.7 s a call).
    return list(
        session.scalars(
            select(OrderLine.product_id)
            .select_from(sampled)
            .join(Order, Order.id == sampled.c.order_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                _counted(),
                # NOT IN also drops lines without a catalogue product (NULL never matches).
                OrderLine.product_id.not_in(sorted(set(given) | set(exclude))),
            )
            .group_by(OrderLine.product_id)
            .having(_units_available(OrderLine.product_id) > 0)
            .order_by(together.desc(), OrderLine.product_id)
            .limit(limit)
        )
    )


@contextmanager
def _jit_off(session: Session) -> Iterator[None]:
    """PostgreSQL's JIT compiler off for the statements inside, then as it was before.

    The planner turns JIT on by estimated cost; for the reorder query compiling took longer
    than running (on 100k customers 0.2-2.3 s of compiling for 0.1-0.3 s of work).
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.scalar(text("SELECT current_setting('jit')"))
    session.execute(text("SELECT set_config('jit', 'off', true)"))
    yield
    # Not in a finally: after an error the transaction is lost, and the setting with it.
    session.execute(text("SELECT set_config('jit', :before, true)"), {"before": before})


def _days_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[float]:
    """The days from one time to another, which SQLite and PostgreSQL spell differently."""
    if dialect == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Float)
    # date_part gives a float where EXTRACT gives a numeric, several times slower per row.
    return cast(func.date_part("epoch", later - earlier) / SECONDS_PER_DAY, Float)


def learned_cycles(session: Session, *, min_repeats: int = 3) -> dict[int, float]:
    """Per product, the median days between one customer's consecutive purchases of it.

    Only products with at least ``min_repeats`` such intervals over all customers get a
    cycle: fewer say more about a few people than about the product.
    """
    dialect = session.get_bind().dialect.name
    purchases = (
        select(Order.customer_id, OrderLine.product_id, Order.placed_at)
        .join(Order, Order.id == OrderLine.order_id)
        .where(_counted(), Order.customer_id.is_not(None), OrderLine.product_id.is_not(None))
        .subquery("purchases")
    )
    previous = func.lag(purchases.c.placed_at).over(
        partition_by=(purchases.c.product_id, purchases.c.customer_id),
        order_by=purchases.c.placed_at,
    )
    days = _days_between(purchases.c.placed_at, previous, dialect)
    steps = select(purchases.c.product_id, days.label("days")).subquery("steps")
    # Two lines of one product in an order, or two orders at one instant, are one purchase:
    # dropping intervals of zero says so without a DISTINCT pass over every line. Sorted by
    # product, to hold one product's intervals at a time. Core rows, as the ORM's doubled the
    # time; the connection does not autoflush, so flush as a session query would.
    session.flush()
    rows = session.connection().execute(
        select(steps.c.product_id, steps.c.days)
        .where(steps.c.days > 0)
        .order_by(steps.c.product_id)
        .execution_options(yield_per=10_000)
    )
    cycles: dict[int, float] = {}
    for product_id, group in groupby(rows, key=itemgetter(0)):
        intervals = [days for _, days in group]
        if len(intervals) >= min_repeats:
            cycles[product_id] = median_interval(intervals)
    return cycles


def reorders_due(
    session: Session, *, now: datetime, since: datetime, cycles: Mapping[int, float]
) -> list[ReorderDue]:
    """Customers whose last purchase of a consumable plus its cycle falls in (since, now].

    ``cycles`` are learned ones (``learned_cycles``); products without one use their
    configured ``cycle_days``. A purchase is only due if it is the customer's last of that
    product: one bought again since is not about to run out.
    """
    if since >= now:
        return []
    configured = session.execute(
        select(Product.id, Product.cycle_days).where(Product.cycle_days.is_not(None))
    )
    cycle = choose_cycles({p: d for p, d in configured if d is not None}, cycles)
    if not cycle:
        return []
    # due_at = bought + cycle is in (since, now] when bought is in (since - cycle, now - cycle]:
    # bounds on placed_at, so no date arithmetic (spelt differently by every database) runs
    # in SQL, and only the orders inside some product's window are read, through the index.
    windows = {p: (since - timedelta(days=d), now - timedelta(days=d)) for p, d in cycle.items()}
    per_product = (
        values(
            column("product_id", Integer),
            column("bought_after", UTCDateTime),
            column("bought_by", UTCDateTime),
            name="windows",
        )
        .data([(p, after, by) for p, (after, by) in sorted(windows.items())])
        .cte()
    )
    placed = Order.placed_at
    in_window = (
        select(Order.customer_id, OrderLine.product_id, func.max(placed).label("bought_at"))
        .join(Order, Order.id == OrderLine.order_id)
        # "+ 0" keeps SQLite off the index on product_id: without statistics it would read
        # every line of every consumable from there (3 s on 100k customers instead of 0.4 s).
        .join(per_product, per_product.c.product_id == OrderLine.product_id + 0)
        .where(
            _counted(),
            Order.customer_id.is_not(None),
            # The same moments again, merged, for the index on placed_at to narrow the scan.
            or_(*(and_(placed > a, placed <= b) for a, b in merge_windows(windows.values()))),
            placed > per_product.c.bought_after,
            placed <= per_product.c.bought_by,
        )
        .group_by(Order.customer_id, OrderLine.product_id)
        .subquery("in_window")
    )
    # The customer's latest purchase of the product from the one in the window on: the
    # window's is due only if it is that latest one. A scalar subquery, so it runs once per
    # candidate through the index on (customer_id, placed_at); a NOT EXISTS would let the
    # planner hash-join every order ever placed as soon as it expects many candidates.
    later, later_line = aliased(Order), aliased(OrderLine)
    latest = (
        select(func.max(later.placed_at))
        .join(later_line, later_line.order_id == later.id)
        .where(
            later.customer_id == in_window.c.customer_id,
            later.placed_at >= in_window.c.bought_at,
            later_line.product_id == in_window.c.product_id,
            _counted(later),
        )
        .scalar_subquery()
    )
    with _jit_off(session):
        rows = session.execute(select(in_window).where(in_window.c.bought_at == latest)).all()
    due = [
        ReorderDue(customer, product, at, at + timedelta(days=cycle[product]))
        for customer, product, at in rows
    ]
    return sorted(due, key=lambda d: (d.due_at, d.customer_id, d.product_id))
