"""The period a report covers, read from a filter's ``from`` and ``to`` dates or, without
them, its ``days`` (the last N days, today included); see ``shopcore.periods``."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from shopcore.admin.forms import Form
from shopcore.periods import Bucket, Period, buckets, grain_of, last_days, period_of

__all__ = ["Bucket", "Period", "buckets", "grain_of", "last_days", "period_of", "read_period"]

MAX_DAYS = 3 * 366


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
