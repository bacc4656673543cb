"""The period a report covers, in the shop's days, and its buckets for charts.

A period is whole local days, ``first`` to ``last`` inclusive (the admin reads one from a
filter: ``shopcore.admin.periods``). Buckets are the period cut into local days, weeks (from
Monday) or months, whichever keeps a chart readable; the first and last may be partial, cut
at the period's ends. Outside ``shopcore.admin`` so that background jobs can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAILY_UP_TO = 45
WEEKLY_UP_TO = 400


@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last`` inclusive, and the UTC instants [since, until)."""

    first: date
    last: date
    since: datetime
    until: datetime

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Bucket:
    """One point of a chart: its first local day and the UTC instants [since, until)."""

    first: date
    since: datetime
    until: datetime


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a day begins in the shop's time zone."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_end(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a day ends (the next one begins) in the shop's time zone."""
    return day_start(day + timedelta(days=1), zone)


def period_of(first: date, last: date, zone: ZoneInfo) -> Period:
    return Period(first, last, day_start(first, zone), day_end(last, zone))


def last_days(days: int, today: date, zone: ZoneInfo) -> Period:
    """The last ``days`` local days, today included."""
    return period_of(today - timedelta(days=days - 1), today, zone)


def grain_of(period: Period) -> str:
    """``day``, ``week`` or ``month``: the coarsest that still shows the period's shape."""
    if period.days <= DAILY_UP_TO:
        return "day"
    return "week" if period.days <= WEEKLY_UP_TO else "month"


def buckets(period: Period, zone: ZoneInfo) -> list[Bucket]:
    """The period cut into local days, weeks or months (``grain_of``), oldest first."""
    grain = grain_of(period)
    starts = [period.first]
    while True:
        following = _next_start(starts[-1], grain)
        if following > period.last:
            break
        starts.append(following)
    ends = [*starts[1:], period.last + timedelta(days=1)]
    return [
        Bucket(first, day_start(first, zone), day_start(end, zone))
        for first, end in zip(starts, ends, strict=True)
    ]


def _next_start(day: date, grain: str) -> date:
    if grain == "day":
        return day + timedelta(days=1)
    if grain == "week":
        return day + timedelta(days=7 - day.weekday())
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
