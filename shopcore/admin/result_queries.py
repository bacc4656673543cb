"""The admin's reading of trigger results: ``retention.results`` plus the sends that failed.

``retention.results`` counts a message as sent once the relay (or the outbox) took it.
The page also shows the attempts that failed (refused address, template error), so that
``sent`` is every attempt and ``delivered`` the ones taken: failed messages are counted by
the time they were made, through the index on ``messages (status, created_at)``. No bounce
comes back from the relay, so delivered means accepted, not read by a mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retention.models import Message, Trigger
from retention.results import TriggerResult, trigger_results
from retention.vocabulary import MessageStatus


@dataclass(frozen=True)
class TriggerRow:
    result: TriggerResult
    failed: int

    @property
    def delivered(self) -> int:
        return self.result.messages.sent

    @property
    def sent(self) -> int:
        return self.delivered + self.failed


def trigger_rows(
    session: Session, *, since: datetime, until: datetime, attribution_days: int
) -> list[TriggerRow]:
    """Every trigger's results for [since, until), with its failed sends."""
    failed = failed_sends(session, since=since, until=until)
    return [
        TriggerRow(result, failed.get(result.trigger_id, 0))
        for result in trigger_results(
            session, since=since, until=until, attribution_days=attribution_days
        )
    ]


def failed_sends(session: Session, *, since: datetime, until: datetime) -> dict[int, int]:
    """Messages that failed, made in [since, until), per trigger."""
    rows = session.execute(
        select(Message.trigger_id, func.count())
        .where(
            Message.status == MessageStatus.FAILED,
            Message.created_at >= since,
            Message.created_at < until,
        )
        .group_by(Message.trigger_id)
    )
    return {trigger_id: count for trigger_id, count in rows}


def trigger_count(session: Session) -> int:
    return session.scalar(select(func.count(Trigger.id))) or 0
