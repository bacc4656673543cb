"""Retention's tables: triggers and their steps, templates, enrollments, messages, suppressions.

Every promise is a row first: a due step (``enrollment_steps.due_at``), a message about to
go out (``messages``, one per enrollment and step by a unique key), an unsubscribe
(``suppressions``). Redis only carries the work of acting on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retention.vocabulary import (
    EnrollmentStatus,
    Entry,
    MessageStatus,
    StepStatus,
    TrackKind,
    TriggerKind,
)
from shopcore.db import Base, UTCDateTime, utcnow
from shopcore.enums import enum_column


class EmailTemplate(Base):
    """A named email template; its text lives in versions, the newest one is used."""

    __tablename__ = "email_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[TemplateVersion]] = relationship(
        back_populates="template", order_by="TemplateVersion.version"
    )


class TemplateVersion(Base):
    """One saved text of a template: the MJML as written and the HTML compiled from it once."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("email_templates.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    mjml: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(500))
    author: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[EmailTemplate] = relationship(back_populates="versions")


class Trigger(Base):
    """Who enters (entry event + audience), what they get (steps), and when they leave."""

    __tablename__ = "triggers"
    __table_args__ = (
        CheckConstraint("holdout_percent BETWEEN 0 AND 90", name="holdout_percent_range"),
        CheckConstraint("reentry_days >= 0", name="reentry_days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[TriggerKind] = mapped_column(enum_column(TriggerKind))
    entry: Mapped[Entry] = mapped_column(enum_column(Entry))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Marketing messages need the customer's consent; service ones (an NPS survey) do not.
    marketing: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[int] = mapped_column(SmallInteger, default=50)
    # retention.audience.Audience as JSON: segments, channels, min_value, categories.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # retention.vocabulary.ExitCondition values.
    exit_conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    reentry_days: Mapped[int] = mapped_column(Integer, default=30)
    holdout_percent: Mapped[int] = mapped_column(SmallInteger, default=10)
    # Empty: the shop's (SHOPCORE_QUIET_HOURS / SHOPCORE_TIMEZONE).
    quiet_hours: Mapped[str | None] = mapped_column(String(20))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    steps: Mapped[list[TriggerStep]] = relationship(
        back_populates="trigger", cascade="all, delete-orphan", order_by="TriggerStep.position"
    )


class TriggerStep(Base):
    """Send a template this long after the event that enrolled the customer."""

    __tablename__ = "trigger_steps"
    __table_args__ = (
        UniqueConstraint("trigger_id", "position"),
        CheckConstraint("delay_minutes >= 0", name="delay_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_id: Mapped[int] = mapped_column(ForeignKey("triggers.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    delay_minutes: Mapped[int] = mapped_column(Integer)
    template_id: Mapped[int] = mapped_column(ForeignKey("email_templates.id"))

    trigger: Mapped[Trigger] = relationship(back_populates="steps")
    template: Mapped[EmailTemplate] = relationship()


class Enrollment(Base):
    """A customer entered a trigger because of one event (an order, a cart, a segment move)."""

    __tablename__ = "enrollments"
    __table_args__ = (
        # One enrollment per trigger and event: a scheduler pass that sees it twice adds nothing.
        UniqueConstraint("trigger_id", "subject"),
        Index("ix_enrollments_customer", "customer_id", "trigger_id", "entered_at"),
        Index("ix_enrollments_trigger_entered", "trigger_id", "entered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_id: Mapped[int] = mapped_column(ForeignKey("triggers.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # What enrolled them: "order:17", "cart:5", "move:88", "reorder:17:TEA-001".
    subject: Mapped[str] = mapped_column(String(100))
    # Ids the emails need: order_id, cart_id, product_ids.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The event's own time: step delays count from it.
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    holdout: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[EnrollmentStatus] = mapped_column(enum_column(EnrollmentStatus))
    exit_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trigger: Mapped[Trigger] = relationship()
    steps: Mapped[list[EnrollmentStep]] = relationship(
        back_populates="enrollment",
        cascade="all, delete-orphan",
        order_by="EnrollmentStep.position",
    )


class EnrollmentStep(Base):
    """One step of one enrollment, due at ``due_at``: the row the scheduler claims."""

    __tablename__ = "enrollment_steps"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "position"),
        Index("ix_enrollment_steps_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[StepStatus] = mapped_column(enum_column(StepStatus))
    # When a scheduler pass handed it to a send job; a stale claim is handed out again.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deferrals: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(String(200))

    enrollment: Mapped[Enrollment] = relationship(back_populates="steps")


class Message(Base):
    """An email for one enrollment step; the unique key makes a second send impossible."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "position"),
        Index("ix_messages_customer_sent", "customer_id", "sent_at"),
        Index("ix_messages_trigger_sent", "trigger_id", "sent_at"),
        Index("ix_messages_status_created", "status", "created_at"),
        # Results and funnels over a period.
        Index("ix_messages_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    trigger_id: Mapped[int] = mapped_column(ForeignKey("triggers.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id"))
    kind: Mapped[TriggerKind] = mapped_column(enum_column(TriggerKind))
    to_email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    # Random, unguessable: the key of this message's unsubscribe, pixel and click links.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first click counted as human (link scanners' requests are kept but not counted).
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxEmail(Base):
    """A message kept instead of sent, when no SMTP relay is configured (the demo)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a test send from the template editor: it is no trigger's message, so it has
    # no row in ``messages`` and counts nowhere (results, frequency cap, re-entry).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    raw: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrackingEvent(Base):
    """An open or a click on a message, human or not, as it arrived."""

    __tablename__ = "tracking_events"
    __table_args__ = (Index("ix_tracking_events_message", "message_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    kind: Mapped[TrackKind] = mapped_column(enum_column(TrackKind))
    url: Mapped[str | None] = mapped_column(String(2000))
    human: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suppression(Base):
    """An address that gets no marketing email, whatever its customer record says."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NpsResponse(Base):
    """A score 0-10 clicked in a post-purchase survey; a second click changes the score."""

    __tablename__ = "nps_responses"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
