"""Report periods in the shop's days, and their buckets: days, weeks from Monday, months."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shopcore.admin.forms import Form
from shopcore.admin.periods import buckets, grain_of, last_days, period_of, read_period

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 11, 20)


def test_a_period_is_whole_local_days_as_utc_instants() -> None:
    period = period_of(date(2026, 10, 1), date(2026, 10, 31), BERLIN)

    assert period.since == datetime(2026, 9, 30, 22, tzinfo=UTC)
    # Summer time ends on 25 October: the last day ends at 23:00 UTC.
    assert period.until == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert period.days == 31


def test_without_dates_a_period_is_the_last_days_today_included() -> None:
    form = Form({"days": "7"})

    period = read_period(form, BERLIN, TODAY, default_days=90)

    assert form.ok
    assert (period.first, period.last) == (date(2026, 11, 14), TODAY)
    assert read_period(Form({}), BERLIN, TODAY, default_days=90).days == 90


def test_a_reversed_or_too_long_range_is_an_error_on_its_field() -> None:
    reversed_range = Form({"from": "2026-11-10", "to": "2026-11-01"})
    too_long = Form({"from": "2020-01-01", "to": "2026-01-01"})
    odd = Form({"days": "-3", "from": "2026-13-40"})

    assert read_period(reversed_range, BERLIN, TODAY, default_days=30).days == 30
    read_period(too_long, BERLIN, TODAY, default_days=30)
    read_period(odd, BERLIN, TODAY, default_days=30)

    assert reversed_range.errors == {"to": "The end comes before the start."}
    assert "from" in too_long.errors
    assert set(odd.errors) == {"days", "from"}


def test_buckets_are_days_then_weeks_from_monday_then_months() -> None:
    days = last_days(14, TODAY, BERLIN)
    weeks = period_of(date(2026, 10, 1), date(2026, 11, 30), BERLIN)
    months = period_of(date(2025, 6, 15), date(2026, 11, 30), BERLIN)

    assert (grain_of(days), grain_of(weeks), grain_of(months)) == ("day", "week", "month")
    assert len(buckets(days, BERLIN)) == 14
    starts = [b.first for b in buckets(weeks, BERLIN)]
    assert starts[:3] == [date(2026, 10, 1), date(2026, 10, 5), date(2026, 10, 12)]
    assert starts[-1] == date(2026, 11, 30)
    cut = buckets(months, BERLIN)
    assert [b.first for b in cut[:3]] == [date(2025, 6, 15), date(2025, 7, 1), date(2025, 8, 1)]
    assert cut[-1].first == date(2026, 11, 1)
    assert cut[-1].until == months.until
    assert all(a.until == b.since for a, b in zip(cut, cut[1:], strict=False))
