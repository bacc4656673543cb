"""A trigger's dry run: who would enter it now, who would not and why, nothing written.

``retention.enrollment.find_entries`` makes the same decisions a scheduler pass would, over
the events it would read; here they are counted and sampled instead of enrolled, in a
transaction that is rolled back.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.audience import AudienceError
from retention.enrollment import MAX_EVENT_AGE, Decision, find_entries
from retention.models import Trigger
from shopcore.models import Customer

SAMPLE_SIZE = 20
# Refusals that name the customer's own figures are counted under one heading.
_GROUPS = (
    (re.compile(r"^value .* is below (?P<limit>.+)$"), "value below {limit}"),
    (
        re.compile(r"^entered this trigger on .*, within (?P<days>\d+) days$"),
        "entered within the last {days} days",
    ),
)


@dataclass(frozen=True)
class SampleRow:
    customer_id: int
    subject: str
    occurred_at: datetime
    outcome: str  # "enters", "held out" or "refused"
    reason: str | None
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class DryRun:
    events: int
    entering: int
    held_out: int
    refusals: list[tuple[str, int]]  # (reason, how many), most first
    sample: list[SampleRow]
    error: str | None = None

    @property
    def refused(self) -> int:
        return sum(count for _, count in self.refusals)


def reason_group(reason: str) -> str:
    """The heading a refusal is counted under: its general form when it names figures."""
    for pattern, heading in _GROUPS:
        found = pattern.match(reason)
        if found:
            return heading.format(**found.groupdict())
    return reason


def summarize(decisions: Sequence[Decision], *, sample_size: int = SAMPLE_SIZE) -> DryRun:
    """Count the decisions by outcome and refusal reason; sample the newest events."""
    admitted = [d for d in decisions if d.refusal is None]
    refusals = Counter(reason_group(d.refusal) for d in decisions if d.refusal is not None)
    newest = sorted(decisions, key=lambda d: (d.event.occurred_at, d.event.subject), reverse=True)
    sample = [
        SampleRow(
            customer_id=d.event.customer_id,
            subject=d.event.subject,
            occurred_at=d.event.occurred_at,
            outcome="refused" if d.refusal else "held out" if d.holdout else "enters",
            reason=d.refusal,
        )
        for d in newest[:sample_size]
    ]
    return DryRun(
        events=len(decisions),
        entering=len(admitted),
        held_out=sum(1 for d in admitted if d.holdout),
        refusals=sorted(refusals.items(), key=lambda item: (-item[1], item[0])),
        sample=sample,
    )


def dry_run(session: Session, trigger: Trigger, *, now: datetime) -> DryRun:
    """The dry run of ``trigger`` at ``now``; rolls ``session`` back, whatever it read."""
    try:
        try:
            result = summarize(find_entries(session, trigger, now=now))
        except AudienceError as e:
            return DryRun(0, 0, 0, [], [], error=f"The audience cannot be used: {e}.")
        ids = {row.customer_id for row in result.sample}
        people = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}
        return replace(result, sample=[_named(r, people.get(r.customer_id)) for r in result.sample])
    finally:
        session.rollback()


def window_text() -> str:
    """How far back a pass looks for events, in words."""
    return f"{MAX_EVENT_AGE.days} days" if MAX_EVENT_AGE.days > 1 else f"{MAX_EVENT_AGE}"


def _named(row: SampleRow, customer: Customer | None) -> SampleRow:
    if customer is None:
        return row
    name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    return replace(row, email=customer.email, name=name or None)
