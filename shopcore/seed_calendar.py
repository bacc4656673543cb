"""When things happen: two years of days, weighted per channel by season, weekday and hour."""

from __future__ import annotations

import random
from bisect import bisect
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from shopcore.enums import Channel

ONLINE, RETAIL, WHOLESALE = Channel.ONLINE, Channel.RETAIL, Channel.WHOLESALE
HISTORY_DAYS = 729  # back from yesterday, so that even in UTC nothing is older than 730 days
SHOP_ZONE = ZoneInfo("Europe/Berlin")
MONTH_WEIGHT = [0, 0.9, 0.85, 0.95, 0.95, 0.9, 0.8, 0.72, 0.75, 0.95, 1.05, 1.5, 1.75]
WEEKDAY_WEIGHT = {
    ONLINE: [1.1, 1.05, 1.0, 1.0, 0.95, 0.85, 1.05],
    RETAIL: [0.8, 0.9, 0.9, 1.0, 1.2, 1.6, 0.0],  # German shops are closed on Sundays
    WHOLESALE: [1.3, 1.1, 1.1, 1.0, 0.9, 0.0, 0.0],
}
HOUR_WEIGHT = {  # in the shop's time zone: online shopping peaks after dinner
    ONLINE: [2, 1, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 9, 8, 7, 7, 8, 9, 10, 12, 14, 13, 9, 5],
    RETAIL: [0] * 9 + [4, 6, 8, 9, 8, 8, 9, 10, 11, 9, 5] + [0] * 4,
    WHOLESALE: [0] * 8 + [10, 10, 9, 8, 6, 7, 7, 6, 4] + [0] * 7,
}


class Calendar:
    """The two years of history as day numbers, weighted per channel by season and weekday."""

    def __init__(self, today: date) -> None:
        first = today - timedelta(days=HISTORY_DAYS)
        days = [first + timedelta(days=n) for n in range(HISTORY_DAYS)]
        self._midnights = [datetime.combine(d, time(0), SHOP_ZONE).astimezone(UTC) for d in days]
        self._open = {c: [WEEKDAY_WEIGHT[c][d.weekday()] > 0 for d in days] for c in Channel}
        weight = {c: [MONTH_WEIGHT[d.month] * WEEKDAY_WEIGHT[c][d.weekday()] for d in days]
                  for c in Channel}
        self._cumulative = {c: list(accumulate(weight[c])) for c in Channel}
        self._hours = {c: [h for h, n in enumerate(HOUR_WEIGHT[c]) for _ in range(n)]
                       for c in Channel}
        # Christmas shopping, from the week of Black Friday to the last shipping day.
        self.seasons = [
            (n, min(n + 32, HISTORY_DAYS - 1))
            for n, d in enumerate(days)
            if (d.month, d.day) == (11, 20)
        ]

    def day(self, rng: random.Random, channel: Channel, last: int = HISTORY_DAYS - 1) -> int:
        """A day no later than ``last``; busy months and weekdays come up more often."""
        cumulative = self._cumulative[channel]
        return bisect(cumulative, rng.random() * cumulative[last])

    def rhythm(self, rng: random.Random, count: int, gap: float, channel: Channel) -> list[int]:
        """Up to ``count`` days about ``gap`` apart, of someone who lapsed or still buys."""
        span = round((count - 1) * gap)
        if rng.random() < 0.5:
            day = self.day(rng, channel, max(0, HISTORY_DAYS - 1 - span))
        else:
            day = self.day(rng, channel)  # still buying: their later orders are yet to come
        days: list[int] = []
        while len(days) < count and day < HISTORY_DAYS:
            days.append(day)
            day += max(1, round(gap * min(1.5, max(0.6, rng.gauss(1.0, 0.12)))))
        return days

    def at(self, rng: random.Random, day: int, channel: Channel) -> datetime:
        """A moment on ``day``, or the nearest day the channel is open, in its busy hours."""
        step = -1 if day >= 3 else 1
        while not self._open[channel][day]:
            day += step
        hours = self._hours[channel]
        hour = hours[int(rng.random() * len(hours))]
        return self._midnights[day] + timedelta(seconds=hour * 3600 + int(rng.random() * 3600))

