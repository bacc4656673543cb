"""When a step may go out: delays, quiet hours, the frequency cap and the holdout draw.

Plain functions over aware UTC datetimes; the send job asks them and defers, never drops.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def due_times(entered_at: datetime, delays_minutes: Sequence[int]) -> list[datetime]:
    """Each step falls due its delay after the event itself, not after the enrollment."""
    return [entered_at + timedelta(minutes=delay) for delay in delays_minutes]


def in_holdout(trigger_id: int, customer_id: int, percent: int) -> bool:
    """A stable draw: the same customer is always in or out of a trigger's holdout group."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"holdout:{trigger_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def quiet_until(now: datetime, zone: ZoneInfo, window: tuple[time, time] | None) -> datetime | None:
    """The UTC instant quiet hours end, if ``now`` falls inside them in ``zone``; else None.

    The window may cross midnight (21:00-08:00). Its end is taken on the local calendar, so a
    daylight-saving change moves it with the clock, as the customer sees it.
    """
    if window is None:
        return None
    start, end = window
    if start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    crosses_midnight = start > end
    inside = (clock >= start or clock < end) if crosses_midnight else start <= clock < end
    if not inside:
        return None
    end_day = local.date()
    if crosses_midnight and clock >= start:
        end_day += timedelta(days=1)
    ends = datetime.combine(end_day, end, tzinfo=zone)
    return ends.astimezone(now.tzinfo)


def cap_frees_at(
    sent_at: Iterable[datetime], *, now: datetime, cap: int, days: int
) -> datetime | None:
    """When the customer may get another message under the cap, or None if they may now.

    ``sent_at`` are the customer's marketing messages (already sent or promised in this batch).
    A cap of 0 means no cap.
    """
    if cap <= 0 or days <= 0:
        return None
    since = now - timedelta(days=days)
    recent = sorted(at for at in sent_at if at > since)
    if len(recent) < cap:
        return None
    # The oldest message that has to age out of the window before one more fits.
    return recent[len(recent) - cap] + timedelta(days=days)
