"""What the trigger pages read: triggers with their last days' counts, and the form's choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from retention.models import EmailTemplate, Enrollment, Message, TemplateVersion, Trigger
from retention.vocabulary import MessageStatus
from shopcore.admin.trigger_form import Choices
from shopcore.models import Product

MAX_TRIGGERS = 500


@dataclass(frozen=True)
class TriggerRow:
    trigger: Trigger
    enrolled: int
    sent: int


def trigger_rows(session: Session, *, since: datetime) -> list[TriggerRow]:
    """Every trigger, highest priority first, with enrollments and messages sent since then."""
    triggers = session.scalars(
        select(Trigger)
        .options(selectinload(Trigger.steps))
        .order_by(Trigger.priority.desc(), Trigger.name)
        .limit(MAX_TRIGGERS)
    ).all()
    enrolled = _counts(
        session,
        select(Enrollment.trigger_id, func.count())
        .where(Enrollment.entered_at >= since)
        .group_by(Enrollment.trigger_id),
    )
    sent = _counts(
        session,
        select(Message.trigger_id, func.count())
        .where(Message.sent_at >= since, Message.status == MessageStatus.SENT)
        .group_by(Message.trigger_id),
    )
    return [TriggerRow(t, enrolled.get(t.id, 0), sent.get(t.id, 0)) for t in triggers]


def find_trigger(session: Session, trigger_id: int) -> Trigger | None:
    """One trigger with its steps loaded."""
    return session.scalar(
        select(Trigger).options(selectinload(Trigger.steps)).where(Trigger.id == trigger_id)
    )


def template_names(session: Session) -> dict[int, str]:
    """Templates that have a version to send, by id, in name order."""
    rows = session.execute(
        select(EmailTemplate.id, EmailTemplate.name)
        .where(exists().where(TemplateVersion.template_id == EmailTemplate.id))
        .order_by(EmailTemplate.name)
    )
    return {template_id: name for template_id, name in rows}


def categories(session: Session) -> list[str]:
    """The products' categories, for the audience's bought / not bought lists."""
    return list(session.scalars(select(Product.category).distinct().order_by(Product.category)))


def form_choices(session: Session) -> tuple[Choices, dict[int, str], list[str]]:
    """What the trigger form may hold, and the templates and categories it offers."""
    templates, found = template_names(session), categories(session)
    return Choices(frozenset(found), frozenset(templates)), templates, found


def _counts(session: Session, query: Select[int, int]) -> dict[int, int]:
    return {trigger_id: count for trigger_id, count in session.execute(query)}
