"""The segment page's figures, taken at the end of each RFM pass and stored as a snapshot.

The R x F grid and the counts group every customer, and the weekly trend reads the segment
moves of the last ``TREND_WEEKS`` weeks: costs that grow with the store. Scores and
segments only change in the RFM pass, so the pass stores these figures in its own
transaction and the admin page reads them back in constant time.

The trend starts from the pass's counts and undoes, week by week, the moves recorded since
each week began.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, literal_column, select
from sqlalchemy.orm import Session

from retention.rfm import SCORES, Segment
from shopcore.models import Customer, SegmentMove
from shopcore.snapshots import save_snapshot

NAME = "segments"
TREND_WEEKS = 12
CENT = Decimal("0.01")


def save_segment_snapshot(session: Session, *, now: datetime, zone: ZoneInfo) -> None:
    """Store the grid, the counts per segment and the weekly trend; the caller commits."""
    cells, unscored = _grid(session)
    counts = _counts(session)
    moments = week_starts(now, zone)
    payload = {
        "cells": cells,
        "unscored": unscored,
        "counts": counts,
        "moments": [m.isoformat() for m in moments],
        "trend": _trend(session, moments, counts),
    }
    save_snapshot(session, NAME, payload, computed_at=now)


def week_starts(now: datetime, zone: ZoneInfo) -> list[datetime]:
    """The starts (local Monday midnight) of the last ``TREND_WEEKS`` weeks, then ``now``."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
    starts = [datetime.combine(week, time(0), tzinfo=zone).astimezone(UTC) for week in weeks]
    return [*starts, now]


def _grid(session: Session) -> tuple[list[list[Any]], int]:
    """``[r, f, customers, spend]`` per scored cell, and how many customers have no scores."""
    cells: list[list[Any]] = []
    unscored = 0
    rows = session.execute(
        select(
            Customer.rfm_r, Customer.rfm_f, func.count(), func.sum(Customer.total_spent)
        ).group_by(Customer.rfm_r, Customer.rfm_f)
    )
    for r, f, customers, revenue in rows:
        if r is not None and f is not None and r in SCORES and f in SCORES:
            cells.append([r, f, customers, _cents(revenue)])
        else:
            unscored += customers
    return cells, unscored


def _counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Customer.segment, func.count())
        .where(Customer.segment.is_not(None))
        .group_by(Customer.segment)
    )
    return {segment: count for segment, count in rows if segment is not None}


def _trend(
    session: Session, moments: list[datetime], now_counts: dict[str, int]
) -> dict[str, list[int]]:
    """Customers per segment at each of ``moments``: today's count, the later moves undone."""
    steps = len(moments) - 1
    net: dict[str, list[int]] = defaultdict(lambda: [0] * len(moments))
    moved = select(
        _step(SegmentMove.moved_at, moments).label("step"),
        SegmentMove.from_segment,
        SegmentMove.to_segment,
    ).where(SegmentMove.moved_at >= moments[0])
    inner = moved.subquery("moved")
    rows = session.execute(
        select(inner.c.step, inner.c.from_segment, inner.c.to_segment, func.count()).group_by(
            inner.c.step, inner.c.from_segment, inner.c.to_segment
        )
    )
    for step, source, target, count in rows:
        net[target][int(step)] += count
        if source is not None:
            net[source][int(step)] -= count
    trend = {}
    for segment in Segment:
        counts = [now_counts.get(segment.value, 0)] * len(moments)
        later = 0
        # Moves in step j happened after moments[j]: they are undone for every moment up to j.
        for k in range(steps - 1, -1, -1):
            later += net[segment.value][k]
            counts[k] -= later
        trend[segment.value] = counts
    return trend


def _step(column: Any, moments: list[datetime]) -> ColumnElement[Any]:
    """SQL for the index of the week ``column`` falls in (moves after the last start: the last)."""
    return case(
        *((column < m, literal_column(str(i))) for i, m in enumerate(moments[1:-1])),
        else_=literal_column(str(len(moments) - 2)),
    )


def _cents(value: Any) -> str:
    """A sum as text to the cent (SQLite hands sums back as floats)."""
    found = value if isinstance(value, Decimal) else Decimal(str(value or 0))
    return str(found.quantize(CENT))
