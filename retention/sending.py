"""Sending claimed steps: re-check each one, render it, and deliver the batch over one connection.

First, in one transaction with the steps locked, every step is decided (``send_rules``):
skipped (exited, no consent, unsubscribed, overdue), deferred (quiet hours, frequency cap: due
again later, never dropped), or given its message row, status ``sending``. The unique
(enrollment, step) key of messages means no second job can make another one. Then the
messages are rendered and delivered (``batch_delivery``), each recorded as soon as the relay
took it. A message left ``sending`` by a dead worker is sent again by the job that next claims
its step: the one window for a duplicate that SMTP leaves open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from config.settings import Settings, secret_key
from retention.batch_delivery import Outgoing, deliver, pipelines
from retention.consent import suppressed_among
from retention.content import Catalog, message_context
from retention.delivery import OutgoingEmail, UnsendableEmail, compose, flatten
from retention.emails import TemplateError, render
from retention.exits import exit_reason, load_exit_facts
from retention.models import (
    Enrollment,
    EnrollmentStep,
    Message,
    TemplateVersion,
    Trigger,
)
from retention.send_rules import defer_until, skip_reason
from retention.template_store import compiled, latest_versions
from retention.tokens import new_token
from retention.tracking import tracked_html
from retention.vocabulary import EnrollmentStatus, MessageStatus, StepStatus
from shopcore.db import Database, utcnow
from shopcore.models import Cart, Customer

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    notes: dict[str, int] = field(default_factory=dict)

    def count(self, note: str) -> None:
        self.notes[note] = self.notes.get(note, 0) + 1


@dataclass(frozen=True)
class _Pending:
    """A message row made for a step, still to be rendered and sent."""

    step: EnrollmentStep
    message: Message
    enrollment: Enrollment
    customer: Customer
    version: TemplateVersion


def send_steps(
    database: Database, settings: Settings, step_ids: Sequence[int], *, now: datetime | None = None
) -> SendReport:
    """Decide, render and deliver the claimed steps ``step_ids``."""
    report = SendReport()
    at = now or utcnow()
    with database.session() as session:
        pending, carts = _prepare(session, settings, step_ids, at, report)
        session.commit()
        if not pending:
            return report
        failures: list[tuple[_Pending, str]] = []
        catalog = Catalog(session, carts)
        outgoing: Iterator[Outgoing] = _render_all(settings, catalog, pending, failures)
        if not pipelines(database, settings):
            # One writer on SQLite: render first, ending this session's transaction, then send.
            outgoing = iter(list(outgoing))
            session.rollback()
        outcomes = deliver(database, settings, outgoing, now=now)
        _record_failures(session, failures)
        session.commit()
    report.sent += len(outcomes.sent)
    report.failed += len(outcomes.failed) + len(failures)
    return report


def _prepare(
    session: Session, settings: Settings, step_ids: Sequence[int], now: datetime, report: SendReport
) -> tuple[list[_Pending], dict[int, Cart]]:
    steps = list(
        session.scalars(
            select(EnrollmentStep)
            .where(EnrollmentStep.id.in_(step_ids), EnrollmentStep.status == StepStatus.CLAIMED)
            .order_by(EnrollmentStep.id)
            .with_for_update(skip_locked=True)
        )
    )
    if not steps:
        return [], {}
    enrollments = _enrollments(session, {step.enrollment_id for step in steps})
    customers = _customers(session, {e.customer_id for e in enrollments.values()})
    existing = _messages(session, steps)
    versions = latest_versions(
        session, {s.template_id for e in enrollments.values() for s in e.trigger.steps}
    )
    suppressed = suppressed_among(session, {c.email for c in customers.values() if c.email})
    recent = _recent_marketing(session, set(customers), now, settings.frequency_days)
    exits = load_exit_facts(session, enrollments.values())
    to_render: list[tuple[EnrollmentStep, Message]] = []
    # Higher-priority triggers take the frequency cap's room first.
    steps.sort(key=lambda s: (-enrollments[s.enrollment_id].trigger.priority, s.due_at, s.id))
    for step in steps:
        enrollment = enrollments[step.enrollment_id]
        trigger = enrollment.trigger
        customer = customers[enrollment.customer_id]
        message = existing.get((step.enrollment_id, step.position))
        if message is not None and message.status != MessageStatus.SENDING:
            # Handled before (a lost job handed out again): only the statuses are behind.
            step.status = (
                StepStatus.SENT if message.status == MessageStatus.SENT else StepStatus.FAILED
            )
            if step.position == max(s.position for s in trigger.steps):
                if enrollment.status == EnrollmentStatus.ACTIVE:
                    enrollment.status = EnrollmentStatus.COMPLETED
            continue
        if message is None:
            leaving = exit_reason(enrollment, trigger, customer, exits)
            skip = skip_reason(
                step,
                enrollment,
                trigger,
                customer,
                exit_reason=leaving,
                suppressed=suppressed,
                now=now,
            )
            if skip is not None:
                if leaving is not None and skip == leaving:
                    _exit(enrollment, leaving)
                _skip(step, skip, report)
                continue
            later = defer_until(settings, trigger, customer, recent, now)
            if later is not None:
                step.status, step.due_at, step.claimed_at = StepStatus.PENDING, later[0], None
                step.deferrals += 1
                step.note = later[1]
                report.deferred += 1
                report.count(later[1])
                continue
            message = _new_message(step, enrollment, trigger, customer, versions, now)
            session.add(message)
            if trigger.marketing:
                recent.setdefault(customer.id, []).append(now)
        to_render.append((step, message))
    session.flush()
    by_id = {version.id: version for version in versions.values()}
    pending = [
        _Pending(
            step,
            message,
            enrollments[step.enrollment_id],
            customers[message.customer_id],
            by_id.get(message.template_version_id)
            or session.get_one(TemplateVersion, message.template_version_id),
        )
        for step, message in to_render
    ]
    return pending, exits.carts


def _new_message(
    step: EnrollmentStep,
    enrollment: Enrollment,
    trigger: Trigger,
    customer: Customer,
    versions: dict[int, TemplateVersion],
    now: datetime,
) -> Message:
    template_step = next(s for s in trigger.steps if s.position == step.position)
    return Message(
        enrollment_id=enrollment.id,
        position=step.position,
        trigger_id=trigger.id,
        customer_id=customer.id,
        template_version_id=versions[template_step.template_id].id,
        kind=trigger.kind,
        to_email=customer.email or "",
        subject="",
        token=new_token(),
        status=MessageStatus.SENDING,
        created_at=now,
    )


def _exit(enrollment: Enrollment, reason: str) -> None:
    enrollment.status, enrollment.exit_reason = EnrollmentStatus.EXITED, reason
    for later in enrollment.steps:
        if later.status == StepStatus.PENDING:
            later.status, later.note = StepStatus.SKIPPED, reason


def _skip(step: EnrollmentStep, reason: str, report: SendReport) -> None:
    step.status, step.note = StepStatus.SKIPPED, reason
    report.skipped += 1
    report.count(reason)


def _render_all(
    settings: Settings,
    catalog: Catalog,
    pending: list[_Pending],
    failures: list[tuple[_Pending, str]],
) -> Iterator[Outgoing]:
    """Render each message as the sender asks for the next one; collect what cannot be."""
    secret = secret_key(settings)
    for item in pending:
        try:
            email = _render(catalog.session, settings, secret, catalog, item)
            mime = compose(email, settings)
        except (TemplateError, UnsendableEmail) as e:
            log.error("message %s not sendable: %s", item.message.id, e)
            failures.append((item, str(e)))
            continue
        steps = item.enrollment.trigger.steps
        last = item.step.position >= max(s.position for s in steps)
        yield Outgoing(
            message_id=item.message.id,
            step_id=item.step.id,
            subject=email.subject,
            mime=mime,
            data=flatten(mime),
            completes=item.enrollment.id if last else None,
        )


def _render(
    session: Session, settings: Settings, secret: str, catalog: Catalog, item: _Pending
) -> OutgoingEmail:
    message = item.message
    version = item.version
    context = message_context(session, settings, message, item.enrollment, item.customer, catalog)
    rendered = render(compiled(version), context)
    html = tracked_html(
        rendered.html, token=message.token, base_url=settings.base_url, secret=secret
    )
    return OutgoingEmail(
        message_id=message.id,
        token=message.token,
        to=message.to_email,
        subject=rendered.subject[:500],
        html=html,
        text=rendered.text,
        kind=message.kind,
    )


def _record_failures(session: Session, failures: list[tuple[_Pending, str]]) -> None:
    for item, error in failures:
        session.execute(
            update(Message)
            .where(Message.id == item.message.id)
            .values(status=MessageStatus.FAILED, error=error)
        )
        session.execute(
            update(EnrollmentStep)
            .where(EnrollmentStep.id == item.step.id)
            .values(status=StepStatus.FAILED, note="not sendable")
        )


def _enrollments(session: Session, ids: set[int]) -> dict[int, Enrollment]:
    rows = session.scalars(
        select(Enrollment)
        .where(Enrollment.id.in_(ids))
        .options(
            selectinload(Enrollment.trigger).selectinload(Trigger.steps),
            selectinload(Enrollment.steps),
        )
    )
    return {e.id: e for e in rows}


def _customers(session: Session, ids: set[int]) -> dict[int, Customer]:
    return {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}


def _messages(session: Session, steps: list[EnrollmentStep]) -> dict[tuple[int, int], Message]:
    rows = session.scalars(
        select(Message).where(Message.enrollment_id.in_({s.enrollment_id for s in steps}))
    )
    return {(m.enrollment_id, m.position): m for m in rows}


def _recent_marketing(
    session: Session, customer_ids: set[int], now: datetime, days: int
) -> dict[int, list[datetime]]:
    rows = session.execute(
        select(Message.customer_id, Message.created_at)
        .join(Trigger, Trigger.id == Message.trigger_id)
        .where(
            Message.customer_id.in_(customer_ids),
            Message.created_at > now - timedelta(days=days),
            Message.status != MessageStatus.FAILED,
            Trigger.marketing.is_(True),
        )
    )
    found: dict[int, list[datetime]] = {}
    for customer_id, created_at in rows:
        found.setdefault(customer_id, []).append(created_at)
    return found
