"""RFM rules: the R x F segment grid and the absolute-threshold scoring, with no I/O.

Scores run 1-5, 5 being best (most recent, most orders, most spend). The quintile mode is
computed in SQL (``retention.segments``); the rules it shares with the threshold mode live
here, so both modes name segments from the same grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

SCORES = range(1, 6)


class Segment(StrEnum):
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALISTS = "potential_loyalists"
    NEW = "new"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    ABOUT_TO_SLEEP = "about_to_sleep"
    AT_RISK = "at_risk"
    CANT_LOSE_THEM = "cant_lose_them"
    HIBERNATING = "hibernating"
    # Customers without a counted order: no scores at all.
    PROSPECTS = "prospects"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Segment.CHAMPIONS: "Champions",
    Segment.LOYAL: "Loyal",
    Segment.POTENTIAL_LOYALISTS: "Potential loyalists",
    Segment.NEW: "New",
    Segment.PROMISING: "Promising",
    Segment.NEED_ATTENTION: "Need attention",
    Segment.ABOUT_TO_SLEEP: "About to sleep",
    Segment.AT_RISK: "At risk",
    Segment.CANT_LOSE_THEM: "Can't lose them",
    Segment.HIBERNATING: "Hibernating",
    Segment.PROSPECTS: "Prospects",
}

_S = Segment
# The common RFM grid: one row per recency score (5 first), one column per frequency 1-5.
GRID: dict[int, tuple[Segment, Segment, Segment, Segment, Segment]] = {
    #    F=1                F=2                     F=3                     F=4           F=5
    5: (_S.NEW, _S.POTENTIAL_LOYALISTS, _S.POTENTIAL_LOYALISTS, _S.CHAMPIONS, _S.CHAMPIONS),
    4: (_S.PROMISING, _S.POTENTIAL_LOYALISTS, _S.POTENTIAL_LOYALISTS, _S.LOYAL, _S.LOYAL),
    3: (_S.ABOUT_TO_SLEEP, _S.ABOUT_TO_SLEEP, _S.NEED_ATTENTION, _S.LOYAL, _S.LOYAL),
    2: (_S.HIBERNATING, _S.HIBERNATING, _S.AT_RISK, _S.AT_RISK, _S.CANT_LOSE_THEM),
    1: (_S.HIBERNATING, _S.HIBERNATING, _S.AT_RISK, _S.AT_RISK, _S.CANT_LOSE_THEM),
}


class InvalidThresholds(ValueError):
    """Threshold cut points that cannot give scores 1-5."""


def name_segment(r: int, f: int) -> Segment:
    """The segment of a customer scored ``r`` for recency and ``f`` for frequency."""
    if r not in SCORES or f not in SCORES:
        raise ValueError(f"scores run 1-5, not r={r} f={f}")
    return GRID[r][f - 1]


@dataclass(frozen=True)
class Thresholds:
    """Absolute cut points, four per dimension, ascending, each one step up the score.

    ``recency_days=(30, 90, 180, 365)``: ordered within 30 days scores 5, within 90 days 4,
    ... and more than 365 days ago 1. ``orders=(2, 3, 5, 10)``: 10 orders or more score 5,
    a single order 1. ``spend`` likewise, in the shop's currency.
    """

    recency_days: tuple[int, ...] = (30, 90, 180, 365)
    orders: tuple[int, ...] = (2, 3, 5, 10)
    spend: tuple[Decimal, ...] = (Decimal(50), Decimal(150), Decimal(400), Decimal(1000))

    def __post_init__(self) -> None:
        for name in ("recency_days", "orders", "spend"):
            cuts = getattr(self, name)
            if len(cuts) != 4 or any(a >= b for a, b in zip(cuts, cuts[1:], strict=False)):
                raise InvalidThresholds(f"{name} needs 4 ascending cut points, not {cuts}")
            if cuts[0] <= 0:
                raise InvalidThresholds(f"{name} cut points must be positive, not {cuts}")


def score_at_least(value: int | Decimal, cuts: Sequence[int | Decimal]) -> int:
    """1 plus the number of cut points ``value`` reaches: higher is better (orders, spend)."""
    return 1 + sum(1 for cut in cuts if value >= cut)


def recency_cutoffs(now: datetime, recency_days: Sequence[int]) -> list[datetime]:
    """The moments a last order must be at or after to score 5, 4, 3, 2 (in that order)."""
    return [now - timedelta(days=days) for days in recency_days]


def score_recency(last_order_at: datetime, now: datetime, recency_days: Sequence[int]) -> int:
    """5 for an order within the first cut point's days, down to 1 beyond the last."""
    reached = [last_order_at >= cutoff for cutoff in recency_cutoffs(now, recency_days)]
    return 1 + sum(reached)
