"""Retention test data: the smallest chain of rows behind a message, with random names."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from retention.models import (
    EmailTemplate,
    Enrollment,
    EnrollmentStep,
    Message,
    TemplateVersion,
    Trigger,
)
from retention.tokens import new_token
from retention.vocabulary import (
    EnrollmentStatus,
    Entry,
    MessageStatus,
    StepStatus,
    TriggerKind,
)
from shopcore.db import utcnow
from shopcore.models import Customer
from tests.factories import random_email, random_ref

HOUR = timedelta(hours=1)


def add_customer(
    session: Session, *, email: str | None = None, accepts_marketing: bool = True
) -> Customer:
    customer = Customer(
        email=email or random_email(),
        first_name="Ann",
        accepts_marketing=accepts_marketing,
        consent_at=utcnow() - timedelta(days=30),
        consent_source="test",
    )
    session.add(customer)
    session.flush()
    return customer


def add_template_version(session: Session, *, subject: str = "Hello") -> TemplateVersion:
    template = EmailTemplate(name=random_ref("template-"))
    version = TemplateVersion(
        template=template,
        version=1,
        mjml="<mjml><mj-body></mj-body></mjml>",
        html="<html><body></body></html>",
        subject=subject,
    )
    session.add_all([template, version])
    session.flush()
    return version


def add_trigger(session: Session, *, kind: TriggerKind = TriggerKind.WELCOME) -> Trigger:
    trigger = Trigger(
        name=random_ref(f"{kind.value}-"),
        kind=kind,
        entry=Entry.FIRST_ORDER,
        enabled=True,
        marketing=kind != TriggerKind.NPS,
    )
    session.add(trigger)
    session.flush()
    return trigger


def add_enrollment(session: Session, trigger: Trigger, customer: Customer) -> Enrollment:
    enrollment = Enrollment(
        trigger_id=trigger.id,
        customer_id=customer.id,
        subject=random_ref("order:"),
        entered_at=utcnow() - timedelta(days=1),
        status=EnrollmentStatus.ACTIVE,
    )
    session.add(enrollment)
    session.flush()
    return enrollment


def add_message(
    session: Session,
    *,
    email: str | None = None,
    kind: TriggerKind = TriggerKind.WELCOME,
    customer: Customer | None = None,
    sent_ago: timedelta | None = HOUR,
) -> Message:
    """A message for a new trigger and enrollment; sent ``sent_ago`` (None: still sending).

    ``email`` is the address it went to (the customer's, when a new customer is made).
    """
    customer = customer or add_customer(session, email=email)
    trigger = add_trigger(session, kind=kind)
    enrollment = add_enrollment(session, trigger, customer)
    version = add_template_version(session)
    message = Message(
        enrollment_id=enrollment.id,
        position=0,
        trigger_id=trigger.id,
        customer_id=customer.id,
        template_version_id=version.id,
        kind=kind,
        to_email=email or customer.email or random_email(),
        subject=version.subject,
        token=new_token(),
        status=MessageStatus.SENT if sent_ago is not None else MessageStatus.SENDING,
        sent_at=utcnow() - sent_ago if sent_ago is not None else None,
    )
    session.add(message)
    session.flush()
    return message


def add_due_steps(session: Session, trigger: Trigger, count: int, *, due_at: datetime) -> list[str]:
    """``count`` customers who consented, each enrolled in ``trigger`` with its steps due at
    ``due_at``; returns their addresses."""
    customers = [
        Customer(
            email=random_email(),
            first_name="Ann",
            accepts_marketing=True,
            consent_at=due_at - timedelta(days=30),
            consent_source="test",
        )
        for _ in range(count)
    ]
    session.add_all(customers)
    session.flush()
    for customer in customers:
        session.add(
            Enrollment(
                trigger_id=trigger.id,
                customer_id=customer.id,
                subject=random_ref("order:"),
                entered_at=due_at,
                status=EnrollmentStatus.ACTIVE,
                steps=[
                    EnrollmentStep(position=step.position, due_at=due_at, status=StepStatus.PENDING)
                    for step in trigger.steps
                ],
            )
        )
    session.flush()
    return [c.email for c in customers if c.email]
