"""Sending claimed steps: re-check each one, render it, and deliver the batch over one connection.

Two phases. First, in one transaction with the steps locked, every step is decided: skipped
(exited, no consent, suppressed, overdue), deferred (quiet hours, frequency cap: due again
later, never dropped), or given its message row, rendered, status ``sending``. The unique
(enrollment, step) key of messages means no second job can make another one. Then the batch
is delivered through one SMTP connection (or the outbox), each message marked sent in its own
short commit right after the relay accepted it. A worker killed between the relay's "250 OK"
and that commit leaves a ``sending`` row that the next pass sends again: the one window for
a duplicate that SMTP leaves open.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, selectinload

from config.settings import Settings, parse_quiet_hours, secret_key
from retention.content import message_context
from retention.delivery import (
    DeliveryUnavailable,
    OutgoingEmail,
    RecipientRefused,
    UnsendableEmail,
    compose,
    open_sender,
)
from retention.emails import TemplateError, render
from retention.exits import exit_reason
from retention.models import (
    Enrollment,
    EnrollmentStep,
    Message,
    Suppression,
    TemplateVersion,
    Trigger,
)
from retention.template_store import compiled, latest_versions
from retention.timing import cap_frees_at, quiet_until
from retention.tokens import new_token
from retention.tracking import tracked_html
from retention.vocabulary import EnrollmentStatus, MessageStatus, StepStatus
from shopcore.db import Database, utcnow
from shopcore.models import Customer

log = logging.getLogger(__name__)

# A reminder this late no longer makes sense (a cart from last week): skipped, not sent.
OVERDUE_AFTER = timedelta(days=3)


@dataclass
class Outgoing:
    message_id: int
    step_id: int
    email: OutgoingEmail
    completes: int | None  # the enrollment this message's step finishes


@dataclass
class SendReport:
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    notes: dict[str, int] = field(default_factory=dict)

    def count(self, note: str) -> None:
        self.notes[note] = self.notes.get(note, 0) + 1


def send_steps(
    database: Database, settings: Settings, step_ids: Sequence[int], *, now: datetime | None = None
) -> SendReport:
    """Decide, render and deliver the claimed steps ``step_ids``."""
    fixed = now
    now = now or utcnow()
    report = SendReport()
    with database.session() as session:
        outgoing = _prepare(session, settings, step_ids, now, report)
        session.commit()
    if outgoing:
        _deliver(database, settings, outgoing, report, now=fixed)
    return report


def _prepare(
    session: Session, settings: Settings, step_ids: Sequence[int], now: datetime, report: SendReport
) -> list[Outgoing]:
    steps = list(
        session.scalars(
            select(EnrollmentStep)
            .where(EnrollmentStep.id.in_(step_ids), EnrollmentStep.status == StepStatus.CLAIMED)
            .order_by(EnrollmentStep.id)
            .with_for_update(skip_locked=True)
        )
    )
    if not steps:
        return []
    enrollments = _enrollments(session, {step.enrollment_id for step in steps})
    customers = _customers(session, {e.customer_id for e in enrollments.values()})
    existing = _messages(session, steps)
    versions = latest_versions(
        session, {s.template_id for e in enrollments.values() for s in e.trigger.steps}
    )
    suppressed = _suppressed(session, {c.email for c in customers.values() if c.email})
    recent = _recent_marketing(session, set(customers), now, settings.frequency_days)
    secret = secret_key(settings)
    outgoing: list[Outgoing] = []
    # Higher-priority triggers take the frequency cap's room first.
    steps.sort(key=lambda s: (-enrollments[s.enrollment_id].trigger.priority, s.due_at, s.id))
    for step in steps:
        enrollment = enrollments[step.enrollment_id]
        trigger = enrollment.trigger
        customer = customers[enrollment.customer_id]
        message = existing.get((step.enrollment_id, step.position))
        if message is not None and message.status != MessageStatus.SENDING:
            # Handled before (a lost job handed out again): only the step's status is behind.
            step.status = (
                StepStatus.SENT if message.status == MessageStatus.SENT else StepStatus.FAILED
            )
            continue
        if message is None:
            skip = _skip_reason(session, step, enrollment, trigger, customer, suppressed, now)
            if skip is not None:
                _skip(step, skip, report)
                continue
            later = _defer_until(settings, trigger, customer, recent, now)
            if later is not None:
                step.status, step.due_at, step.claimed_at = StepStatus.PENDING, later[0], None
                step.deferrals += 1
                step.note = later[1]
                report.deferred += 1
                report.count(later[1])
                continue
            template_step = next(s for s in trigger.steps if s.position == step.position)
            version = versions[template_step.template_id]
            message = Message(
                enrollment_id=enrollment.id,
                position=step.position,
                trigger_id=trigger.id,
                customer_id=customer.id,
                template_version_id=version.id,
                kind=trigger.kind,
                to_email=customer.email or "",
                subject="",
                token=new_token(),
                status=MessageStatus.SENDING,
                created_at=now,
            )
            session.add(message)
            session.flush()
            if trigger.marketing:
                recent.setdefault(customer.id, []).append(now)
        try:
            email = _render(session, settings, secret, message, enrollment, customer)
        except TemplateError as e:
            message.status, message.error = MessageStatus.FAILED, str(e)
            step.status, step.note = StepStatus.FAILED, "template error"
            report.failed += 1
            log.error("message for step %s not rendered: %s", step.id, e)
            continue
        last = max(s.position for s in trigger.steps)
        outgoing.append(
            Outgoing(message.id, step.id, email, enrollment.id if step.position >= last else None)
        )
    return outgoing


def _skip_reason(
    session: Session,
    step: EnrollmentStep,
    enrollment: Enrollment,
    trigger: Trigger,
    customer: Customer,
    suppressed: set[str],
    now: datetime,
) -> str | None:
    if enrollment.status != EnrollmentStatus.ACTIVE:
        return enrollment.exit_reason or enrollment.status.value
    if not trigger.enabled:
        return "trigger disabled"
    reason = exit_reason(session, enrollment, trigger, customer)
    if reason is not None:
        enrollment.status, enrollment.exit_reason = EnrollmentStatus.EXITED, reason
        for later in enrollment.steps:
            if later.status == StepStatus.PENDING:
                later.status, later.note = StepStatus.SKIPPED, reason
        return reason
    if not customer.email:
        return "no email address"
    if customer.email.lower() in suppressed:
        return "unsubscribed"
    if trigger.marketing and not customer.accepts_marketing:
        return "no marketing consent"
    if now - step.due_at > OVERDUE_AFTER:
        return "overdue"
    return None


def _defer_until(
    settings: Settings,
    trigger: Trigger,
    customer: Customer,
    recent: dict[int, list[datetime]],
    now: datetime,
) -> tuple[datetime, str] | None:
    zone = ZoneInfo(customer.timezone or trigger.timezone or settings.timezone)
    window = (
        parse_quiet_hours(trigger.quiet_hours) if trigger.quiet_hours else settings.quiet_window
    )
    quiet = quiet_until(now, zone, window)
    if quiet is not None:
        return quiet, "quiet hours"
    if trigger.marketing:
        frees = cap_frees_at(
            recent.get(customer.id, []),
            now=now,
            cap=settings.frequency_cap,
            days=settings.frequency_days,
        )
        if frees is not None:
            return frees + timedelta(minutes=1), "frequency cap"
    return None


def _skip(step: EnrollmentStep, reason: str, report: SendReport) -> None:
    step.status, step.note = StepStatus.SKIPPED, reason
    report.skipped += 1
    report.count(reason)


def _render(
    session: Session,
    settings: Settings,
    secret: str,
    message: Message,
    enrollment: Enrollment,
    customer: Customer,
) -> OutgoingEmail:
    version = session.get(TemplateVersion, message.template_version_id)
    assert version is not None
    rendered = render(
        compiled(version), message_context(session, settings, message, enrollment, customer)
    )
    message.subject = rendered.subject[:500]
    html = tracked_html(
        rendered.html, token=message.token, base_url=settings.base_url, secret=secret
    )
    return OutgoingEmail(
        message_id=message.id,
        token=message.token,
        to=message.to_email,
        subject=message.subject,
        html=html,
        text=rendered.text,
        kind=message.kind,
    )


def _deliver(
    database: Database,
    settings: Settings,
    outgoing: list[Outgoing],
    report: SendReport,
    *,
    now: datetime | None,
) -> None:
    with database.session() as session:
        try:
            with open_sender(settings, session) as sender:
                for item in outgoing:
                    try:
                        sender.send(compose(item.email, settings))
                    except (RecipientRefused, UnsendableEmail) as e:
                        _finish(session, item, MessageStatus.FAILED, now=now, error=str(e))
                        report.failed += 1
                        continue
                    _finish(session, item, MessageStatus.SENT, now=now)
                    report.sent += 1
        except DeliveryUnavailable as e:
            # The rows stay ``sending``/claimed: a later pass hands them out again.
            session.rollback()
            log.warning(
                "mail relay unavailable, %d messages wait: %s", len(outgoing) - report.sent, e
            )


def _finish(
    session: Session,
    item: Outgoing,
    status: MessageStatus,
    *,
    now: datetime | None,
    error: str | None = None,
) -> None:
    """Record one delivery outcome at once, so a crash re-sends at most the message in flight."""
    if session.get_bind().dialect.name == "postgresql":
        # The worker may die, the database will not lose this: no need to wait for the WAL.
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    sent_at = (now or utcnow()) if status == MessageStatus.SENT else None
    session.execute(
        update(Message)
        .where(Message.id == item.message_id)
        .values(status=status, sent_at=sent_at, error=error)
    )
    step_status = StepStatus.SENT if status == MessageStatus.SENT else StepStatus.FAILED
    session.execute(
        update(EnrollmentStep).where(EnrollmentStep.id == item.step_id).values(status=step_status)
    )
    if item.completes is not None:
        session.execute(
            update(Enrollment)
            .where(Enrollment.id == item.completes, Enrollment.status == EnrollmentStatus.ACTIVE)
            .values(status=EnrollmentStatus.COMPLETED)
        )
    session.commit()


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


def _suppressed(session: Session, emails: set[str]) -> set[str]:
    lowered = {e.lower() for e in emails}
    if not lowered:
        return set()
    return set(session.scalars(select(Suppression.email).where(Suppression.email.in_(lowered))))


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
