"""The standard trigger set and its templates (``shopcore triggers defaults``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.models import EmailTemplate, Trigger, TriggerStep
from retention.rfm import Segment
from retention.template_store import save_version
from retention.vocabulary import Entry, ExitCondition, TriggerKind

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "emails"

HOUR = 60
DAY = 24 * HOUR


@dataclass(frozen=True)
class StandardTrigger:
    name: str
    kind: TriggerKind
    entry: Entry
    # (delay in minutes, template file name without .mjml)
    steps: tuple[tuple[int, str], ...]
    exits: tuple[ExitCondition, ...] = ()
    audience: dict[str, Any] = field(default_factory=dict)
    priority: int = 50
    reentry_days: int = 30
    holdout_percent: int = 10
    marketing: bool = True


STANDARD = (
    StandardTrigger(
        "Abandoned cart",
        TriggerKind.ABANDONED_CART,
        Entry.CART_ABANDONED,
        steps=((1 * HOUR, "abandoned_cart"), (24 * HOUR, "abandoned_cart")),
        exits=(ExitCondition.ORDERED, ExitCondition.CART_EMPTIED),
        priority=90,
        reentry_days=7,
    ),
    StandardTrigger(
        "Welcome",
        TriggerKind.WELCOME,
        Entry.FIRST_ORDER,
        steps=((2 * HOUR, "welcome"),),
        priority=80,
        reentry_days=0,
    ),
    StandardTrigger(
        "Reorder",
        TriggerKind.REORDER,
        Entry.REORDER_DUE,
        steps=((0, "reorder"),),
        exits=(ExitCondition.ORDERED,),
        priority=70,
        reentry_days=7,
    ),
    StandardTrigger(
        "Win-back",
        TriggerKind.WIN_BACK,
        Entry.SEGMENT_MOVED,
        steps=((0, "win_back"), (7 * DAY, "win_back")),
        exits=(ExitCondition.ORDERED, ExitCondition.LEFT_SEGMENT),
        audience={"segments": [Segment.AT_RISK.value, Segment.CANT_LOSE_THEM.value]},
        priority=60,
        reentry_days=90,
    ),
    StandardTrigger(
        "Cross-sell after purchase",
        TriggerKind.CROSS_SELL,
        Entry.ORDER_PLACED,
        steps=((3 * DAY, "cross_sell"),),
        exits=(ExitCondition.ORDERED,),
        priority=40,
        reentry_days=14,
    ),
    StandardTrigger(
        "Post-purchase NPS survey",
        TriggerKind.NPS,
        Entry.ORDER_PLACED,
        steps=((14 * DAY, "nps"),),
        priority=30,
        reentry_days=90,
        # A survey is a service message, not marketing; there is no revenue to measure.
        holdout_percent=0,
        marketing=False,
    ),
)


def install_defaults(session: Session) -> list[str]:
    """Install, enabled, each standard trigger and template not already there; flushes.

    Returns the names of the triggers installed now (none on a second run).
    """
    templates = {name: _template_id(session, name) for name in _template_names()}
    existing = set(session.scalars(select(Trigger.name)))
    installed = []
    for spec in STANDARD:
        if spec.name in existing:
            continue
        session.add(
            Trigger(
                name=spec.name,
                kind=spec.kind,
                entry=spec.entry,
                enabled=True,
                marketing=spec.marketing,
                priority=spec.priority,
                audience=spec.audience,
                exit_conditions=[e.value for e in spec.exits],
                reentry_days=spec.reentry_days,
                holdout_percent=spec.holdout_percent,
                steps=[
                    TriggerStep(position=i, delay_minutes=delay, template_id=templates[file])
                    for i, (delay, file) in enumerate(spec.steps, start=1)
                ],
            )
        )
        installed.append(spec.name)
    session.flush()
    return installed


def _template_names() -> set[str]:
    return {file for spec in STANDARD for _, file in spec.steps}


def _template_id(session: Session, name: str) -> int:
    found = session.scalar(select(EmailTemplate.id).where(EmailTemplate.name == name))
    if found is not None:
        return found
    return save_version(session, name, (TEMPLATES / f"{name}.mjml").read_text()).template_id
