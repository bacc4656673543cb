"""Entering triggers: events (orders, carts, segment moves, reorders due) become enrollments.

A scheduler pass reads the events of the last days that no enrollment of the trigger names
yet, so an event is seen however late its row committed, and a second pass adds nothing
(one enrollment per trigger and event, by a unique key). Each step of an enrollment is a
row due its delay after the event's own time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from retention.audience import Audience, Candidate, refusal
from retention.models import Enrollment, EnrollmentStep, Trigger
from retention.recommend import learned_cycles, reorders_due
from retention.timing import due_times, in_holdout
from retention.vocabulary import EnrollmentStatus, Entry, StepStatus
from shopcore.db import utcnow
from shopcore.enums import CartStatus, Channel
from shopcore.models import Cart, Customer, Order, OrderLine, Product, SegmentMove
from shopcore.orders import UNCOUNTED

# Events older than this enroll no one: an imported order from last year is history, not
# a reason to write today. It is also how far back each pass looks.
MAX_EVENT_AGE = timedelta(days=2)
CYCLES_TTL = 3600.0


@dataclass(frozen=True)
class EntryEvent:
    """One event that may enroll its customer."""

    customer_id: int
    subject: str
    occurred_at: datetime
    context: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None
    value: Decimal | None = None
    # For a segment move: the segment moved into, which is what the audience asks about.
    segment: str | None = None


@dataclass(frozen=True)
class Decision:
    event: EntryEvent
    refusal: str | None
    holdout: bool = False


def find_entries(session: Session, trigger: Trigger, *, now: datetime) -> list[Decision]:
    """Decide, for each new event of the trigger's kind, whether its customer enters and why."""
    events = _events(session, trigger, now)
    if not events:
        return []
    audience = Audience.from_json(trigger.audience or {})
    customer_ids = {event.customer_id for event in events}
    facts = _facts(session, customer_ids)
    categories = _categories(session, customer_ids) if audience.needs_categories else {}
    last_entry = _last_entries(session, trigger.id, customer_ids)
    window = timedelta(days=trigger.reentry_days)
    decisions = []
    for event in sorted(events, key=lambda e: (e.occurred_at, e.subject)):
        email, consent, segment = facts.get(event.customer_id, (None, False, None))
        candidate = Candidate(
            customer_id=event.customer_id,
            email=email,
            accepts_marketing=consent,
            segment=event.segment or segment,
            channel=event.channel,
            value=event.value,
            categories=frozenset(categories.get(event.customer_id, ())),
        )
        reason = refusal(audience, candidate, marketing=trigger.marketing)
        previous = last_entry.get(event.customer_id)
        if reason is None and previous is not None and event.occurred_at < previous + window:
            reason = (
                f"entered this trigger on {previous:%Y-%m-%d}, within {trigger.reentry_days} days"
            )
        if reason is None:
            last_entry[event.customer_id] = event.occurred_at
        holdout = reason is None and in_holdout(
            trigger.id, event.customer_id, trigger.holdout_percent
        )
        decisions.append(Decision(event, reason, holdout))
    return decisions


def enroll(session: Session, trigger: Trigger, decisions: Iterable[Decision]) -> int:
    """Write the admitted decisions as enrollments with their due steps, in two statements."""
    admitted = [d for d in decisions if d.refusal is None]
    if not admitted:
        return 0
    now = utcnow()
    rows = [
        {
            "trigger_id": trigger.id,
            "customer_id": d.event.customer_id,
            "subject": d.event.subject,
            "context": d.event.context,
            "entered_at": d.event.occurred_at,
            "holdout": d.holdout,
            # Holdout members are counted as enrolled and never sent anything.
            "status": EnrollmentStatus.COMPLETED if d.holdout else EnrollmentStatus.ACTIVE,
            "exit_reason": "holdout" if d.holdout else None,
            "created_at": now,
        }
        for d in admitted
    ]
    ids = session.scalars(
        insert(Enrollment).returning(Enrollment.id, sort_by_parameter_order=True), rows
    ).all()
    delays = [step.delay_minutes for step in trigger.steps]
    steps = [
        {
            "enrollment_id": enrollment_id,
            "position": position,
            "due_at": due,
            "status": StepStatus.PENDING,
            "deferrals": 0,
        }
        for enrollment_id, decision in zip(ids, admitted, strict=True)
        if not decision.holdout
        for position, due in enumerate(due_times(decision.event.occurred_at, delays), start=1)
    ]
    if steps:
        session.execute(insert(EnrollmentStep), steps)
    return len(admitted)


def _events(session: Session, trigger: Trigger, now: datetime) -> list[EntryEvent]:
    since = now - MAX_EVENT_AGE
    if trigger.entry in (Entry.ORDER_PLACED, Entry.FIRST_ORDER):
        return _order_events(session, trigger, since, now)
    if trigger.entry == Entry.CART_ABANDONED:
        return _cart_events(session, trigger, since, now)
    if trigger.entry == Entry.SEGMENT_MOVED:
        return _move_events(session, trigger, since, now)
    return _reorder_events(session, trigger, since, now)


_learned: dict[str, tuple[float, dict[int, float]]] = {}


def _cycles(session: Session) -> dict[int, float]:
    """Learned reorder cycles, read again at most every CYCLES_TTL seconds per database.

    Learning them reads every counted order line; they move over weeks, not between passes.
    """
    key = session.get_bind().engine.url.render_as_string()
    cached = _learned.get(key)
    if cached is None or time.monotonic() - cached[0] > CYCLES_TTL:
        cached = (time.monotonic(), learned_cycles(session))
        _learned[key] = cached
    return cached[1]


def forget_cycles() -> None:
    """Drop the learned cycles kept in this process (a database emptied under it, in tests)."""
    _learned.clear()


def _not_enrolled(trigger: Trigger, subject: ColumnElement[str]) -> ColumnElement[bool]:
    return ~exists().where(Enrollment.trigger_id == trigger.id, Enrollment.subject == subject)


def _subject(prefix: str, id_column: Any) -> ColumnElement[str]:
    return literal(prefix).concat(cast(id_column, String))


def _order_events(
    session: Session, trigger: Trigger, since: datetime, now: datetime
) -> list[EntryEvent]:
    subject = _subject("order:", Order.id)
    query: Select[Any] = select(  # type: ignore[assignment]
        Order.id, Order.customer_id, Order.placed_at, Order.channel, Order.total
    ).where(
        Order.placed_at >= since,
        Order.placed_at <= now,
        Order.customer_id.is_not(None),
        Order.is_test.is_(False),
        Order.status.not_in(UNCOUNTED),
        _not_enrolled(trigger, subject),
    )
    if trigger.entry == Entry.FIRST_ORDER:
        query = query.join(Customer, Customer.id == Order.customer_id).where(
            Customer.first_order_at >= Order.placed_at
        )
    return [
        EntryEvent(
            customer_id=customer_id,
            subject=f"order:{order_id}",
            occurred_at=placed_at,
            context={"order_id": order_id},
            channel=Channel(channel).value,
            value=total,
        )
        for order_id, customer_id, placed_at, channel, total in _rows(session, query)
    ]


def _cart_events(
    session: Session, trigger: Trigger, since: datetime, now: datetime
) -> list[EntryEvent]:
    query = select(Cart.id, Cart.customer_id, Cart.updated_at, Cart.total).where(
        Cart.status == CartStatus.OPEN,
        Cart.updated_at >= since,
        Cart.updated_at <= now,
        Cart.customer_id.is_not(None),
        _not_enrolled(trigger, _subject("cart:", Cart.id)),
    )
    return [
        EntryEvent(
            customer_id=customer_id,
            subject=f"cart:{cart_id}",
            occurred_at=updated_at,
            context={"cart_id": cart_id},
            channel=Channel.ONLINE.value,
            value=total,
        )
        for cart_id, customer_id, updated_at, total in _rows(session, query)
    ]


def _move_events(
    session: Session, trigger: Trigger, since: datetime, now: datetime
) -> list[EntryEvent]:
    # A customer's first segment is not a move: scoring a shop for the first time must not
    # send every lapsed customer of its history a win-back at once.
    query = select(
        SegmentMove.id, SegmentMove.customer_id, SegmentMove.moved_at, SegmentMove.to_segment
    ).where(
        SegmentMove.moved_at >= since,
        SegmentMove.moved_at <= now,
        SegmentMove.from_segment.is_not(None),
        _not_enrolled(trigger, _subject("move:", SegmentMove.id)),
    )
    return [
        EntryEvent(
            customer_id=customer_id,
            subject=f"move:{move_id}",
            occurred_at=moved_at,
            context={"segment": to_segment},
            segment=to_segment,
        )
        for move_id, customer_id, moved_at, to_segment in session.execute(query)
    ]


def _reorder_events(
    session: Session, trigger: Trigger, since: datetime, now: datetime
) -> list[EntryEvent]:
    due = reorders_due(session, now=now, since=since, cycles=_cycles(session))
    events = [
        EntryEvent(
            customer_id=item.customer_id,
            subject=f"reorder:{item.customer_id}:{item.product_id}:{item.last_bought_at:%Y%m%d}",
            occurred_at=item.due_at,
            context={"product_ids": [item.product_id]},
        )
        for item in due
    ]
    known = set(
        session.scalars(
            select(Enrollment.subject).where(
                Enrollment.trigger_id == trigger.id,
                Enrollment.subject.in_([event.subject for event in events]),
            )
        )
    )
    return [event for event in events if event.subject not in known]


def _rows(session: Session, query: Any) -> Any:
    """The rows of a query whose columns are known not null by its WHERE clause."""
    return session.execute(query)


def _chunks(ids: set[int], size: int = 5000) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _facts(
    session: Session, customer_ids: set[int]
) -> dict[int, tuple[str | None, bool, str | None]]:
    facts = {}
    for chunk in _chunks(customer_ids):
        rows = session.execute(
            select(Customer.id, Customer.email, Customer.accepts_marketing, Customer.segment).where(
                Customer.id.in_(chunk)
            )
        )
        facts.update({row[0]: (row[1], bool(row[2]), row[3]) for row in rows})
    return facts


def _categories(session: Session, customer_ids: set[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for chunk in _chunks(customer_ids):
        rows: Any = session.execute(
            select(Order.customer_id, Product.category)
            .distinct()
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(
                Order.customer_id.in_(chunk),
                Order.is_test.is_(False),
                Order.status.not_in(UNCOUNTED),
            )
        )
        for customer_id, category in rows:
            found.setdefault(customer_id, set()).add(category)
    return found


def _last_entries(session: Session, trigger_id: int, customer_ids: set[int]) -> dict[int, datetime]:
    found = {}
    for chunk in _chunks(customer_ids):
        rows = session.execute(
            select(Enrollment.customer_id, func.max(Enrollment.entered_at))
            .where(Enrollment.trigger_id == trigger_id, Enrollment.customer_id.in_(chunk))
            .group_by(Enrollment.customer_id)
        )
        found.update({customer_id: entered_at for customer_id, entered_at in rows})
    return found
