"""What the template pages read: templates with their newest version and the triggers using
them, a template's versions, and the customers a preview can be rendered for."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.models import EmailTemplate, TemplateVersion, Trigger, TriggerStep
from retention.template_store import latest_versions
from retention.vocabulary import TriggerKind
from shopcore.identity import normalize_email
from shopcore.models import Customer

MAX_TEMPLATES = 500
MAX_VERSIONS = 200
RECENT_CUSTOMERS = 20


@dataclass(frozen=True)
class TemplateRow:
    template: EmailTemplate
    newest: TemplateVersion | None
    used_by: list[Trigger]


def template_rows(session: Session) -> list[TemplateRow]:
    """Every template by name, with its newest version and the triggers that send it."""
    templates = session.scalars(
        select(EmailTemplate).order_by(EmailTemplate.name).limit(MAX_TEMPLATES)
    ).all()
    newest = latest_versions(session, {t.id for t in templates})
    users = _users(session)
    return [TemplateRow(t, newest.get(t.id), users.get(t.id, [])) for t in templates]


def triggers_using(session: Session, template_id: int) -> list[Trigger]:
    """The triggers with a step that sends this template, highest priority first."""
    return _users(session, template_id).get(template_id, [])


def template_kind(used_by: list[Trigger]) -> TriggerKind:
    """The kind a template's emails are sent as: its highest-priority trigger's, else custom."""
    return used_by[0].kind if used_by else TriggerKind.CUSTOM


def versions_of(session: Session, template_id: int) -> list[TemplateVersion]:
    """A template's versions, newest first."""
    return list(
        session.scalars(
            select(TemplateVersion)
            .where(TemplateVersion.template_id == template_id)
            .order_by(TemplateVersion.version.desc())
            .limit(MAX_VERSIONS)
        )
    )


def find_version(session: Session, template_id: int, version: int) -> TemplateVersion | None:
    return session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template_id, TemplateVersion.version == version
        )
    )


def newest_version(session: Session, template_id: int) -> TemplateVersion | None:
    return latest_versions(session, {template_id}).get(template_id)


def customer_by_email(session: Session, email: str) -> Customer | None:
    """The newest customer with this address, or None (also for text that is no address)."""
    address = normalize_email(email)
    if address is None:
        return None
    return session.scalar(
        select(Customer).where(Customer.email == address).order_by(Customer.id.desc()).limit(1)
    )


def recent_customers(session: Session, limit: int = RECENT_CUSTOMERS) -> list[Customer]:
    """The newest customers with an email: the preview's default is the first."""
    return list(
        session.scalars(
            select(Customer)
            .where(Customer.email.is_not(None))
            .order_by(Customer.id.desc())
            .limit(limit)
        )
    )


def _users(session: Session, template_id: int | None = None) -> dict[int, list[Trigger]]:
    query = (
        select(TriggerStep.template_id, Trigger)
        .join(Trigger, Trigger.id == TriggerStep.trigger_id)
        .order_by(Trigger.priority.desc(), Trigger.name)
    )
    if template_id is not None:
        query = query.where(TriggerStep.template_id == template_id)
    found: dict[int, list[Trigger]] = {}
    for used, trigger in session.execute(query):
        triggers = found.setdefault(used, [])
        if trigger not in triggers:
            triggers.append(trigger)
    return found
