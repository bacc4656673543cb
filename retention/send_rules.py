"""The rules a send job applies to each due step: skip it, defer it, or send it now.

Plain functions over rows already loaded for the batch; the job acts on their answers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from config.settings import Settings, parse_quiet_hours
from retention.models import Enrollment, EnrollmentStep, Trigger
from retention.timing import cap_frees_at, quiet_until
from retention.vocabulary import EnrollmentStatus
from shopcore.models import Customer

# A reminder this late no longer makes sense (a cart from last week): skipped, not sent.
OVERDUE_AFTER = timedelta(days=3)


def skip_reason(
    step: EnrollmentStep,
    enrollment: Enrollment,
    trigger: Trigger,
    customer: Customer,
    *,
    exit_reason: str | None,
    suppressed: set[str],
    now: datetime,
) -> str | None:
    """Why this step is not to be sent at all, or None.

    ``exit_reason``: the enrollment's, if it should end; ``suppressed``: the customers'
    addresses, as spelled on them, that are unsubscribed (``consent.suppressed_among``).
    """
    if enrollment.status != EnrollmentStatus.ACTIVE:
        return enrollment.exit_reason or enrollment.status.value
    if not trigger.enabled:
        return "trigger disabled"
    if exit_reason is not None:
        return exit_reason
    if not customer.email:
        return "no email address"
    if customer.email in suppressed:
        return "unsubscribed"
    if trigger.marketing and not customer.accepts_marketing:
        return "no marketing consent"
    if now - step.due_at > OVERDUE_AFTER:
        return "overdue"
    return None


def defer_until(
    settings: Settings,
    trigger: Trigger,
    customer: Customer,
    recent: dict[int, list[datetime]],
    now: datetime,
) -> tuple[datetime, str] | None:
    """When to try again and why, if now is inside quiet hours or over the frequency cap.

    Quiet hours are the trigger's own or the shop's, in the customer's time zone (else the
    trigger's, else the shop's). ``recent``: each customer's marketing messages in the cap's
    window, including the ones this batch has already promised.
    """
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
