"""The period a report covers, in the shop's days, and its buckets for charts.

A period is whole local days, ``first`` to ``last`` inclusive, read from a filter's ``from``
and ``to`` dates or, without them, its ``days`` (the last N days, today included). Buckets
are the period cut into local days, weeks (from Monday) or months, whichever keeps a chart
readable; the first and last may be partial, cut at the period's ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shopcore.admin.forms import Form, day_end, day_start

MAX_DAYS = 3 * 366
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


def period_of(first: date, last: date, zone: ZoneInfo) -> Period:
    return Period(first, last, day_start(first, zone), day_end(last, zone))


def last_days(days: int, today: date, zone: ZoneInfo) -> Period:
    """The last ``days`` local days, today included."""
    return period_of(today - timedelta(days=days - 1), today, zone)


def read_period(form: Form, zone: ZoneInfo, today: date, *, default_days: int) -> Period:
    """The period of the form's ``from``/``to`` dates or ``days``; errors go on the form."""
    days = form.whole("days", minimum=1, maximum=MAX_DAYS) or default_days
    first, last = form.day("from"), form.day("to")
    if first is None and last is None:
        return last_days(days, today, zone)
    if first is None:
        assert last is not None
        first = last - timedelta(days=days - 1)
    last = last or today
    if last < first:
        form.error("to", "The end comes before the start.")
        return last_days(default_days, today, zone)
    if (last - first).days >= MAX_DAYS:
        form.error("from", f"At most {MAX_DAYS:,} days at a time.")
        return last_days(default_days, today, zone)
    return period_of(first, last, zone)


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
