"""Recording opens and clicks: every request kept as it arrived, the first human one counted.

The links themselves are built and signed in ``retention.links``; who counts as human is
decided in ``retention.scanners``. Both are re-exported here, as the one place to look.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import update
from sqlalchemy.orm import Session

from retention.links import click_url, sign_link, tracked_html, verify_link
from retention.models import Message, TrackingEvent
from retention.scanners import SCANNER_WINDOW_SECONDS, classify_request
from retention.tokens import message_by_token
from retention.vocabulary import TrackKind
from shopcore.db import utcnow

__all__ = [
    "SCANNER_WINDOW_SECONDS",
    "classify_request",
    "classify_visit",
    "click_url",
    "record_click",
    "record_open",
    "sign_link",
    "tracked_html",
    "verify_link",
]

# The widths of tracking_events' columns: longer values are cut, not refused.
_MAX_URL = 2000
_MAX_USER_AGENT = 500


def classify_visit(
    message: Message,
    *,
    method: str,
    user_agent: str | None,
    kind: TrackKind,
    now: datetime | None = None,
) -> tuple[bool, str | None]:
    """``classify_request`` for a request on one of ``message``'s links, timed from its send."""
    now = now or utcnow()
    elapsed = (now - message.sent_at).total_seconds() if message.sent_at else None
    return classify_request(
        method=method, user_agent=user_agent, seconds_since_sent=elapsed, kind=kind
    )


def record_open(
    session: Session,
    token: str,
    *,
    method: str = "GET",
    user_agent: str | None = None,
    now: datetime | None = None,
) -> TrackingEvent | None:
    """Record a fetch of the open pixel; None for an unknown token. The caller commits."""
    return _record(session, token, TrackKind.OPEN, None, method, user_agent, now)


def record_click(
    session: Session,
    token: str,
    url: str,
    *,
    method: str = "GET",
    user_agent: str | None = None,
    now: datetime | None = None,
) -> TrackingEvent | None:
    """Record a followed click link; None for an unknown token. The caller commits.

    A human click also counts as an open when none was counted: the reader had the email
    open, with its images blocked.
    """
    return _record(session, token, TrackKind.CLICK, url, method, user_agent, now)


def _record(
    session: Session,
    token: str,
    kind: TrackKind,
    url: str | None,
    method: str,
    user_agent: str | None,
    now: datetime | None,
) -> TrackingEvent | None:
    message = message_by_token(session, token)
    if message is None:
        return None
    now = now or utcnow()
    human, reason = classify_visit(
        message, method=method, user_agent=user_agent, kind=kind, now=now
    )
    event = TrackingEvent(
        message_id=message.id,
        kind=kind,
        url=_storable(url, _MAX_URL),
        human=human,
        reason=reason,
        user_agent=_storable(user_agent, _MAX_USER_AGENT),
        at=now,
    )
    session.add(event)
    if human:
        _count_first(session, message, "opened_at", now)
        if kind == TrackKind.CLICK:
            _count_first(session, message, "clicked_at", now)
    session.flush()
    return event


def _count_first(
    session: Session, message: Message, field: Literal["opened_at", "clicked_at"], now: datetime
) -> None:
    # A conditional UPDATE: of two concurrent first clicks, only one sets the time.
    column = getattr(Message, field)
    session.execute(
        update(Message).where(Message.id == message.id, column.is_(None)).values({field: now})
    )


def _storable(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    # PostgreSQL text cannot hold NUL; a header or URL may carry one.
    return text.replace("\x00", "")[:limit]
