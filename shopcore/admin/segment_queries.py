"""The admin's segment reads: the R x F grid, customers per segment then and now, members.

The grid, the counts and the weekly trend are computed at the end of each RFM pass and read
back from its snapshot (``retention.segment_snapshot``); members are read a page at a time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.rfm import GRID, SCORES, Segment
from shopcore.admin.paging import Cursor, Page, keyset_page
from shopcore.models import Customer
from shopcore.sales_queries import ZERO

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


def grid_from(payload: dict[str, Any]) -> Grid:
    """The grid of a segment snapshot (``retention.segment_snapshot``), empty cells included."""
    found = {(r, f): (customers, Decimal(revenue)) for r, f, customers, revenue in payload["cells"]}
    cells = {
        (r, f): Cell(r, f, GRID[r][f - 1], *found.get((r, f), (0, ZERO)))
        for r in SCORES
        for f in SCORES
    }
    return Grid(cells, payload["unscored"])


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


def segment_members(session: Session, segment: Segment, cursor: Cursor, *, size: int) -> Page:
    """A page of the segment's customers by id."""
    query = select(Customer).where(Customer.segment == segment.value)
    return keyset_page(session, query, Customer.id, cursor, size=size)
