"""The scheduler pass: enroll from new events, then claim due steps and hand them to send jobs.

Runs every ``SHOPCORE_TICK_SECONDS`` inside ``shopcore worker``, once with ``shopcore
triggers tick``. Several passes may run at once on several hosts: enrolling is serialised by
a lock on PostgreSQL (and by SQLite's single writer), and due steps are claimed with
``FOR UPDATE SKIP LOCKED``, so each is handed to exactly one job. A claimed step whose job
never reported back (Redis lost it, the worker died) is handed out again after
``SHOPCORE_CLAIM_TIMEOUT_SECONDS``; its message key keeps that from sending twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.orm import Session, selectinload

from config.settings import Settings
from retention.enrollment import enroll, find_entries
from retention.models import EnrollmentStep, Trigger
from retention.vocabulary import StepStatus
from shopcore.dashboard_snapshot import refresh_dashboard_if_stale
from shopcore.db import Database, utcnow
from shopcore.queue import enqueue_after_commit

log = logging.getLogger(__name__)

# Arbitrary, fixed: the PostgreSQL advisory lock that one enrolling pass holds at a time.
ENROLL_LOCK = 7_302_114
# A pass hands out at most this many batches; the next pass takes the rest.
MAX_BATCHES = 50


@dataclass
class TickReport:
    enrolled: dict[str, int] = field(default_factory=dict)
    claimed: int = 0
    batches: int = 0


def tick(database: Database, settings: Settings, *, now: datetime | None = None) -> TickReport:
    """One scheduler pass: enroll, then claim what is due and queue it in batches."""
    now = now or utcnow()
    report = TickReport()
    with database.session() as session:
        if _enroll_lock(session):
            for trigger in _enabled(session):
                report.enrolled[trigger.name] = enroll(
                    session, trigger, find_entries(session, trigger, now=now)
                )
        session.commit()
    for _ in range(MAX_BATCHES):
        with database.session() as session:
            ids = claim_due(
                session,
                now=now,
                limit=settings.send_batch,
                claim_timeout=timedelta(seconds=settings.claim_timeout_seconds),
            )
            if ids:
                enqueue_after_commit(session, "retention.jobs.send_steps_job", ids)
            session.commit()
        report.claimed += len(ids)
        report.batches += bool(ids)
        if len(ids) < settings.send_batch:
            break
    _refresh_dashboard(database, settings)
    return report


def claim_due(
    session: Session, *, now: datetime, limit: int, claim_timeout: timedelta
) -> list[int]:
    """Claim up to ``limit`` due steps (and stale claims) for one send job; the caller commits."""
    due = or_(
        and_(EnrollmentStep.status == StepStatus.PENDING, EnrollmentStep.due_at <= now),
        and_(
            EnrollmentStep.status == StepStatus.CLAIMED,
            EnrollmentStep.claimed_at < now - claim_timeout,
        ),
    )
    ids = list(
        session.scalars(
            select(EnrollmentStep.id)
            .where(due)
            .order_by(EnrollmentStep.due_at, EnrollmentStep.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            update(EnrollmentStep)
            .where(EnrollmentStep.id.in_(ids))
            .values(status=StepStatus.CLAIMED, claimed_at=now)
        )
    return ids


def _refresh_dashboard(database: Database, settings: Settings) -> None:
    """Keep the dashboard's snapshot within a few minutes; its failure never stops the pass."""
    try:
        refresh_dashboard_if_stale(database, settings)
    except Exception:
        log.exception("refreshing the dashboard snapshot failed; the next pass tries again")


def _enabled(session: Session) -> list[Trigger]:
    return list(
        session.scalars(
            select(Trigger)
            .where(Trigger.enabled.is_(True))
            .order_by(Trigger.priority.desc(), Trigger.id)
            .options(selectinload(Trigger.steps))
        )
    )


def _enroll_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ENROLL_LOCK})
    if not taken:
        log.info("another scheduler pass is enrolling; this one only claims due steps")
    return bool(taken)
