"""The RFM pass: scores and segments for every customer, in the database, in one go.

Scores come from the per-customer aggregates kept current at intake (orders, spend, last
order), so the pass is a window over customers rather than a GROUP BY over every order.
Quintile mode, among customers with at least one counted order:

- R = NTILE(5) over (last order, id): the most recent fifth scores 5.
- F = 1 + 5 * (RANK over orders - 1) // customers: the quintile in which a customer's group
  of equal order counts *starts*. Equal counts always score equally, and the fewest orders
  always score 1, so bins can be uneven (one-time buyers may fill F=1, F=2 and F=3 alone).
- M = NTILE(5) over (spend, id).

Ties in R and M go by customer id, so the same data always gives the same scores. Only rows
whose scores or segment change are written, and each segment change is kept as a
``SegmentMove`` in the same transaction; a recompute on unchanged data writes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    SmallInteger,
    String,
    Table,
    case,
    cast,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from config.settings import Settings, parse_cut_points
from retention.rfm import GRID, Segment, Thresholds, recency_cutoffs
from retention.segment_snapshot import save_segment_snapshot
from shopcore.db import UTCDateTime, utcnow
from shopcore.models import Customer, SegmentMove

customers: Table = Customer.__table__  # type: ignore[assignment]
moves: Table = SegmentMove.__table__  # type: ignore[assignment]
EXPORT_HEADER = ("email", "r", "f", "m", "segment")
SORT_MEMORY = "128MB"


@dataclass(frozen=True)
class RfmSummary:
    scored: int
    prospects: int
    # Customers whose scores or segment this pass rewrote; 0 on unchanged data.
    changed: int
    moves: int

    def describe(self) -> str:
        return (
            f"scored {self.scored:,} customers, {self.prospects:,} prospects, "
            f"{self.changed:,} changed, {self.moves:,} segment moves"
        )


def thresholds_from(settings: Settings) -> Thresholds:
    """The threshold-mode cut points configured in ``SHOPCORE_RFM_*``."""
    days = parse_cut_points(settings.rfm_recency_days, "SHOPCORE_RFM_RECENCY_DAYS", whole=True)
    orders = parse_cut_points(settings.rfm_orders, "SHOPCORE_RFM_ORDERS", whole=True)
    spend = parse_cut_points(settings.rfm_spend, "SHOPCORE_RFM_SPEND")
    return Thresholds(
        recency_days=tuple(int(d) for d in days),
        orders=tuple(int(o) for o in orders),
        spend=tuple(Decimal(s) for s in spend),
    )


def recompute_rfm(
    session: Session,
    *,
    mode: str = "quintile",
    thresholds: Thresholds | None = None,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> RfmSummary:
    """Score and segment every customer, record the segment moves, store the segment page's
    snapshot (its weeks start on Mondays in ``zone``, UTC by default), and commit."""
    now = now or utcnow()
    if mode == "quintile":
        scores = _quintile_scores()
    elif mode == "thresholds":
        scores = _threshold_scores(thresholds or Thresholds(), now)
    else:
        raise ValueError(f"unknown RFM mode {mode!r}")
    s = _with_prospects(scores).subquery("s")
    changed = or_(
        customers.c.rfm_r.is_distinct_from(s.c.r),
        customers.c.rfm_f.is_distinct_from(s.c.f),
        customers.c.rfm_m.is_distinct_from(s.c.m),
        customers.c.segment.is_distinct_from(s.c.segment),
    )
    write = (
        update(customers)
        .where(customers.c.id == s.c.id, changed)
        .values(rfm_r=s.c.r, rfm_f=s.c.f, rfm_m=s.c.m, segment=s.c.segment)
    )
    columns = ["customer_id", "from_segment", "to_segment", "moved_at"]

    def moved(rows: Any) -> Select[Any]:
        return select(
            rows.c.id, rows.c.old_segment, rows.c.segment, literal(now, UTCDateTime)
        ).where(rows.c.old_segment.is_distinct_from(rows.c.segment))

    if session.get_bind().dialect.name == "postgresql":
        # The three window sorts spill to disk at the default 4 MB; this transaction only.
        session.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
        # One statement: the update hands its changed rows (with the old segment, read from
        # the pre-update snapshot in ``s``) to the insert of the moves.
        written = write.returning(s.c.id, s.c.old_segment, s.c.segment).cte("written")
        recorded = (
            insert(moves).from_select(columns, moved(written)).returning(moves.c.id).cte("recorded")
        )
        changed_count, moved_count = session.execute(
            select(
                select(func.count()).select_from(written).scalar_subquery(),
                select(func.count()).select_from(recorded).scalar_subquery(),
            )
        ).one()
    else:
        # SQLite has no data-modifying CTEs: the moves first, then the update, same snapshot.
        connection = session.connection()
        moved_count = connection.execute(insert(moves).from_select(columns, moved(s))).rowcount
        changed_count = connection.execute(write).rowcount
    save_segment_snapshot(session, now=now, zone=zone or ZoneInfo("UTC"))
    session.commit()
    return _summary(session, changed=changed_count, moves=moved_count)


def find_moves(
    session: Session,
    *,
    since: datetime,
    from_segment: Segment | None = None,
    to_segment: Segment | None = None,
) -> list[SegmentMove]:
    """Segment moves at or after ``since``, oldest first ("from Loyal to At risk this week")."""
    query = select(SegmentMove).where(SegmentMove.moved_at >= since)
    if from_segment is not None:
        query = query.where(SegmentMove.from_segment == from_segment.value)
    if to_segment is not None:
        query = query.where(SegmentMove.to_segment == to_segment.value)
    return list(session.scalars(query.order_by(SegmentMove.moved_at, SegmentMove.id)))


def export_rfm(session: Session, out: IO[str]) -> int:
    """Write ``email,r,f,m,segment`` for every customer, streamed; return the row count."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    count = 0
    for rows in export_rows(session):
        writer.writerows(rows)
        count += len(rows)
    return count


def export_rows(
    session: Session, *, segment: Segment | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """The ``EXPORT_HEADER`` rows of every customer (or a segment's), by id, in batches.

    Read with a server-side cursor where the database has one, so a million customers
    never sit in memory at once; a missing value is an empty string.
    """
    query = select(
        customers.c.email,
        customers.c.rfm_r,
        customers.c.rfm_f,
        customers.c.rfm_m,
        customers.c.segment,
    ).order_by(customers.c.id)
    if segment is not None:
        query = query.where(customers.c.segment == segment.value)
    for partition in session.execute(query.execution_options(yield_per=5000)).partitions():
        yield [tuple("" if v is None else v for v in row) for row in partition]


def _quintile_scores() -> Select[Any]:
    c = customers.c
    tie_group_start = func.rank().over(order_by=c.orders_count) - 1
    return select(
        c.id,
        c.segment.label("old_segment"),
        func.ntile(5).over(order_by=(c.last_order_at, c.id)).label("r"),
        (1 + (5 * tie_group_start) // func.count().over()).label("f"),
        func.ntile(5).over(order_by=(c.total_spent, c.id)).label("m"),
    ).where(c.orders_count > 0)


def _threshold_scores(thresholds: Thresholds, now: datetime) -> Select[Any]:
    c = customers.c
    oldest_first = list(reversed(recency_cutoffs(now, thresholds.recency_days)))
    return select(
        c.id,
        c.segment.label("old_segment"),
        _at_least(c.last_order_at, oldest_first).label("r"),
        _at_least(c.orders_count, thresholds.orders).label("f"),
        _at_least(c.total_spent, thresholds.spend).label("m"),
    ).where(c.orders_count > 0)


def _at_least(column: ColumnElement[Any], cuts: Any) -> ColumnElement[int]:
    """SQL for ``retention.rfm.score_at_least``: 1 plus the cut points reached."""
    whens = [(column >= cut, score) for score, cut in enumerate(cuts, start=2)]
    return case(*reversed(whens), else_=1)


def _with_prospects(scores: Select[Any]) -> Select[Any]:
    """The scores, named from the grid, and customers without orders as prospects."""
    w = scores.subquery("w")
    by_rf = {
        10 * r + f: segment.value
        for r, row in GRID.items()
        for f, segment in enumerate(row, start=1)
    }
    segment = case(by_rf, value=w.c.r * 10 + w.c.f)
    scored = select(
        w.c.id,
        w.c.old_segment,
        cast(w.c.r, SmallInteger).label("r"),
        cast(w.c.f, SmallInteger).label("f"),
        cast(w.c.m, SmallInteger).label("m"),
        cast(segment, String(32)).label("segment"),
    )
    no_score = cast(null(), SmallInteger)
    prospects = select(
        customers.c.id,
        customers.c.segment,
        no_score,
        no_score,
        no_score,
        cast(literal(Segment.PROSPECTS.value), String(32)),
    ).where(customers.c.orders_count == 0)
    return select(union_all(scored, prospects).subquery("u"))


def _summary(session: Session, *, changed: int, moves: int) -> RfmSummary:
    c = customers.c
    scored, prospects = session.execute(
        select(
            func.count().filter(c.orders_count > 0),
            func.count().filter(c.orders_count == 0),
        )
    ).one()
    return RfmSummary(scored=scored, prospects=prospects, changed=changed, moves=moves)
