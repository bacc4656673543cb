"""The admin's segment reads: the R x F grid, customers per segment then and now, members.

The grid and the counts group the stored scores and segments (written by the RFM pass), so
no order is read. The trend starts from today's counts and undoes, week by week, the
segment moves recorded since: a range scan of ``segment_moves`` by ``moved_at``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retention.rfm import GRID, SCORES, Segment
from shopcore.admin.dashboard_queries import ZERO, bucket_index, money
from shopcore.admin.paging import Cursor, Page, keyset_page
from shopcore.admin.periods import Bucket
from shopcore.models import Customer, SegmentMove

# Segments in the order pages list them: best customers first, prospects last.
ORDER = [
    Segment.CHAMPIONS,
    Segment.LOYAL,
    Segment.POTENTIAL_LOYALISTS,
    Segment.NEW,
    Segment.PROMISING,
    Segment.NEED_ATTENTION,
    Segment.ABOUT_TO_SLEEP,
    Segment.AT_RISK,
    Segment.CANT_LOSE_THEM,
    Segment.HIBERNATING,
    Segment.PROSPECTS,
]


@dataclass(frozen=True)
class Cell:
    """Customers scored ``r`` for recency and ``f`` for frequency, and what they spent."""

    r: int
    f: int
    segment: Segment
    customers: int
    revenue: Decimal


@dataclass(frozen=True)
class SegmentSize:
    segment: Segment
    customers: int
    revenue: Decimal
    share: Decimal


@dataclass(frozen=True)
class Grid:
    cells: dict[tuple[int, int], Cell]
    # Customers the RFM pass has not scored: prospects, and anyone who came since.
    unscored: int

    @property
    def customers(self) -> int:
        return sum(c.customers for c in self.cells.values())


def rfm_grid(session: Session) -> Grid:
    """Customers and their spend per (R, F) cell: one GROUP BY over customers."""
    found: dict[tuple[int, int], tuple[int, Decimal]] = {}
    unscored = 0
    rows = session.execute(
        select(
            Customer.rfm_r, Customer.rfm_f, func.count(), func.sum(Customer.total_spent)
        ).group_by(Customer.rfm_r, Customer.rfm_f)
    )
    for r, f, customers, revenue in rows:
        if r is not None and f is not None and r in SCORES and f in SCORES:
            found[(r, f)] = (customers, money(revenue))
        else:
            unscored += customers
    cells = {
        (r, f): Cell(r, f, GRID[r][f - 1], *found.get((r, f), (0, ZERO)))
        for r in SCORES
        for f in SCORES
    }
    return Grid(cells, unscored)


def segment_sizes(grid: Grid, counts: dict[str, int]) -> list[SegmentSize]:
    """Each segment's customers (as stored) and spend (from the grid), in ``ORDER``."""
    revenue: dict[Segment, Decimal] = defaultdict(lambda: ZERO)
    for cell in grid.cells.values():
        revenue[cell.segment] += cell.revenue
    total = sum(counts.get(s.value, 0) for s in ORDER)
    return [
        SegmentSize(
            s,
            counts.get(s.value, 0),
            revenue[s],
            Decimal(counts.get(s.value, 0)) / total if total else ZERO,
        )
        for s in ORDER
    ]


def segment_counts(session: Session) -> dict[str, int]:
    """Customers per stored segment (through its index); unsegmented ones are left out."""
    rows = session.execute(
        select(Customer.segment, func.count())
        .where(Customer.segment.is_not(None))
        .group_by(Customer.segment)
    )
    return {segment: count for segment, count in rows if segment is not None}


def segment_trend(
    session: Session, moments: list[datetime], now_counts: dict[str, int]
) -> dict[Segment, list[int]]:
    """Customers per segment at each of ``moments`` (ascending, the last one now).

    A count at a moment is today's count less the customers who moved in since and plus
    those who moved out since.
    """
    steps = [
        Bucket(start.date(), start, end) for start, end in zip(moments, moments[1:], strict=False)
    ]
    net: dict[str, list[int]] = defaultdict(lambda: [0] * len(moments))
    if steps:
        moved = select(
            bucket_index(SegmentMove.moved_at, steps).label("step"),
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
    for segment in ORDER:
        counts = [now_counts.get(segment.value, 0)] * len(moments)
        later = 0
        # Moves in step j happened after moments[j]: they are undone for every moment up to j.
        for k in range(len(steps) - 1, -1, -1):
            later += net[segment.value][k]
            counts[k] -= later
        trend[segment] = counts
    return trend


def segment_members(session: Session, segment: Segment, cursor: Cursor, *, size: int) -> Page:
    """A page of the segment's customers by id."""
    query = select(Customer).where(Customer.segment == segment.value)
    return keyset_page(session, query, Customer.id, cursor, size=size)
