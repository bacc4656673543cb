"""The admin's message reads: a filtered page of messages, one message's story, the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, defer

from retention.models import (
    EmailTemplate,
    Message,
    OutboxEmail,
    TemplateVersion,
    TrackingEvent,
    Trigger,
)
from retention.vocabulary import MessageStatus, TriggerKind
from shopcore.admin.paging import Cursor, Page, keyset_page
from shopcore.models import Customer

# A message gets a handful of opens and clicks; a scanner-happy one is cut here.
MAX_EVENTS = 200


@dataclass(frozen=True)
class MessageFilter:
    """What the message list is narrowed to; None: no condition on that field."""

    kind: TriggerKind | None = None
    status: MessageStatus | None = None
    # The customers an email belongs to; an empty list matches no message.
    customer_ids: list[int] | None = None


@dataclass(frozen=True)
class MessageStory:
    """One message, who it went to, what it was made from, and what came of it."""

    message: Message
    trigger: Trigger
    customer: Customer
    template: str
    version: int
    events: list[TrackingEvent]
    # The outbox row keeping the email, when no relay took it.
    kept_id: int | None


def find_messages(session: Session, wanted: MessageFilter, cursor: Cursor, *, size: int) -> Page:
    """A page of (message, trigger name) matching ``wanted``, newest first."""
    return keyset_page(session, _filtered(wanted), Message.id, cursor, size=size, descending=True)


def _filtered(wanted: MessageFilter) -> Select[Message, str]:
    query = select(Message, Trigger.name).join(Trigger, Trigger.id == Message.trigger_id)
    if wanted.kind is not None:
        query = query.where(Message.kind == wanted.kind)
    if wanted.status is not None:
        query = query.where(Message.status == wanted.status)
    if wanted.customer_ids is not None:
        query = query.where(Message.customer_id.in_(wanted.customer_ids))
    return query


def message_story(session: Session, message_id: int) -> MessageStory | None:
    """The message with its trigger, customer, template version and tracking events."""
    found = session.execute(
        select(Message, Trigger, Customer, EmailTemplate.name, TemplateVersion.version)
        .join(Trigger, Trigger.id == Message.trigger_id)
        .join(Customer, Customer.id == Message.customer_id)
        .join(TemplateVersion, TemplateVersion.id == Message.template_version_id)
        .join(EmailTemplate, EmailTemplate.id == TemplateVersion.template_id)
        .where(Message.id == message_id)
    ).one_or_none()
    if found is None:
        return None
    message, trigger, customer, template, version = found
    events = session.scalars(
        select(TrackingEvent)
        .where(TrackingEvent.message_id == message_id)
        .order_by(TrackingEvent.at, TrackingEvent.id)
        .limit(MAX_EVENTS)
    )
    kept = session.scalar(select(OutboxEmail.id).where(OutboxEmail.message_id == message_id))
    return MessageStory(message, trigger, customer, template, version, list(events), kept)


def kept_email(session: Session, outbox_id: int) -> OutboxEmail | None:
    """One email the outbox kept, with its MIME text."""
    return session.get(OutboxEmail, outbox_id)


def find_outbox(session: Session, cursor: Cursor, *, size: int) -> Page:
    """A page of (kept email, its message or None for a test send), newest first."""
    query = (
        select(OutboxEmail, Message)
        .outerjoin(Message, Message.id == OutboxEmail.message_id)
        .options(defer(OutboxEmail.raw))
    )
    return keyset_page(session, query, OutboxEmail.id, cursor, size=size, descending=True)
