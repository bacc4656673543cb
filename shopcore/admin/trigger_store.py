"""Saving triggers from the admin: create or change one, enable or disable it.

A step that customers are still waiting for cannot be removed: their due rows name it by
position, and the send job looks the step's template up by that position.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retention.models import Enrollment, EnrollmentStep, Trigger, TriggerStep
from retention.vocabulary import StepStatus
from shopcore.admin.trigger_form import TriggerSpec

WAITING = (StepStatus.PENDING, StepStatus.CLAIMED)


class TriggerNotFound(LookupError):
    """No trigger has this id."""


class TriggerNameTaken(ValueError):
    """Another trigger has this name."""


class StepsStillDue(ValueError):
    """Steps the form removes are still due for some customers: {position: how many}."""

    def __init__(self, waiting: dict[int, int]) -> None:
        self.waiting = waiting
        first = min(waiting)
        super().__init__(f"step {first} is still due for {waiting[first]} customers")


def save_trigger(session: Session, trigger_id: int | None, spec: TriggerSpec) -> Trigger:
    """Create a trigger (disabled) from ``spec``, or change trigger ``trigger_id``; flushes."""
    taken = session.scalar(select(Trigger.id).where(Trigger.name == spec.name))
    if taken is not None and taken != trigger_id:
        raise TriggerNameTaken(spec.name)
    if trigger_id is None:
        # New triggers start disabled: dry-run them first, then switch them on.
        trigger = Trigger(enabled=False, steps=[])
        session.add(trigger)
    else:
        found = session.get(Trigger, trigger_id, with_for_update=True)
        if found is None:
            raise TriggerNotFound(trigger_id)
        trigger = found
    trigger.name = spec.name
    trigger.kind = spec.kind
    trigger.entry = spec.entry
    trigger.audience = spec.audience
    trigger.exit_conditions = list(spec.exit_conditions)
    trigger.reentry_days = spec.reentry_days
    trigger.priority = spec.priority
    trigger.holdout_percent = spec.holdout_percent
    trigger.marketing = spec.marketing
    trigger.quiet_hours = spec.quiet_hours
    trigger.timezone = spec.timezone
    _set_steps(session, trigger, spec)
    session.flush()
    return trigger


def set_enabled(session: Session, trigger_id: int, *, enabled: bool) -> Trigger:
    """Switch a trigger on or off; off, it enrolls no one, and steps already due still go."""
    trigger = session.get(Trigger, trigger_id, with_for_update=True)
    if trigger is None:
        raise TriggerNotFound(trigger_id)
    trigger.enabled = enabled
    session.flush()
    return trigger


def _set_steps(session: Session, trigger: Trigger, spec: TriggerSpec) -> None:
    existing = {step.position: step for step in trigger.steps}
    wanted = dict(enumerate(spec.steps, start=1))
    removed = sorted(set(existing) - set(wanted))
    if removed and trigger.id is not None:
        waiting = _waiting(session, trigger.id, removed)
        if waiting:
            raise StepsStillDue(waiting)
    for position in removed:
        trigger.steps.remove(existing[position])
    for position, step in wanted.items():
        row = existing.get(position)
        if row is None:
            trigger.steps.append(
                TriggerStep(
                    position=position,
                    delay_minutes=step.delay_minutes,
                    template_id=step.template_id,
                )
            )
        else:
            row.delay_minutes, row.template_id = step.delay_minutes, step.template_id


def _waiting(session: Session, trigger_id: int, positions: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(EnrollmentStep.position, func.count())
        .join(Enrollment, Enrollment.id == EnrollmentStep.enrollment_id)
        .where(
            Enrollment.trigger_id == trigger_id,
            EnrollmentStep.position.in_(positions),
            EnrollmentStep.status.in_(WAITING),
        )
        .group_by(EnrollmentStep.position)
    )
    return {position: count for position, count in rows}
