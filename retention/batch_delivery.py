"""Delivering a batch of rendered messages over one connection, recording each outcome at once.

Each message is marked sent in its own short commit right after the relay accepted it, so a
worker killed mid-batch re-sends at most the message in flight (the window SMTP leaves: the
relay said "250 OK" and the worker died before writing it down). Steps and enrollments follow
for the whole batch at the end; a step left behind is put right by the next job that sees it.

With an SMTP relay and PostgreSQL, sending runs in a thread of its own while the job renders
the next messages: most of a send is waiting for the relay, and that wait is free to render
in. SQLite (one writer) and the outbox run the same steps one after the other.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import Message as MimeMessage

from sqlalchemy import Connection, update

from config.settings import Settings
from retention.delivery import DeliveryUnavailable, RecipientRefused, Sender, open_sender
from retention.models import Enrollment, EnrollmentStep, Message
from retention.vocabulary import EnrollmentStatus, MessageStatus, StepStatus
from shopcore.db import Database, utcnow

log = logging.getLogger(__name__)

# Rendered messages waiting for the sending thread: enough to keep it busy, few enough that
# a relay outage wastes little rendering.
AHEAD = 32
SWITCH_INTERVAL = 0.0002


@dataclass(frozen=True)
class Outgoing:
    """A message ready to go: composed, and flattened to the bytes of SMTP DATA."""

    message_id: int
    step_id: int
    subject: str
    mime: MimeMessage
    data: bytes | None
    completes: int | None  # the enrollment whose last step this message is


@dataclass
class Outcomes:
    sent: list[Outgoing]
    failed: list[Outgoing]
    unavailable: str | None = None


def pipelines(database: Database, settings: Settings) -> bool:
    """Whether sending overlaps rendering: an SMTP relay to wait for, and a database that lets
    the rendering and the recording connections work at the same time."""
    return bool(settings.smtp_url) and database.dialect == "postgresql"


def deliver(
    database: Database, settings: Settings, outgoing: Iterable[Outgoing], *, now: datetime | None
) -> Outcomes:
    """Send ``outgoing`` (rendered lazily, as it is iterated) and record what happened."""
    outcomes = Outcomes(sent=[], failed=[])
    pipelined = pipelines(database, settings)
    with database.session() as session, _recorder(database, now) as record:
        try:
            with open_sender(settings, session) as sender:
                if pipelined:
                    _send_in_thread(sender, outgoing, record, outcomes, settings)
                else:
                    for item in outgoing:
                        # The outbox row is committed before the record: SQLite has one writer.
                        _send_one(sender, item, record, outcomes, settings, settle=session.commit)
        except DeliveryUnavailable as e:
            session.rollback()
            outcomes.unavailable = str(e)
        _close_steps(record.connection, outcomes)
    if outcomes.unavailable:
        # The rest stay ``sending`` and claimed: a later pass hands them out again.
        log.warning("mail relay unavailable, messages wait: %s", outcomes.unavailable)
    return outcomes


def _send_one(
    sender: Sender,
    item: Outgoing,
    record: _Recorder,
    outcomes: Outcomes,
    settings: Settings,
    *,
    settle: Callable[[], None] = lambda: None,
) -> None:
    try:
        sender.send(item.mime, data=item.data)
    except RecipientRefused as e:
        record(item, MessageStatus.FAILED, error=str(e))
        outcomes.failed.append(item)
        return
    settle()
    record(item, MessageStatus.SENT)
    outcomes.sent.append(item)


def _send_in_thread(
    sender: Sender,
    outgoing: Iterable[Outgoing],
    record: _Recorder,
    outcomes: Outcomes,
    settings: Settings,
) -> None:
    ready: queue.Queue[Outgoing | None] = queue.Queue(maxsize=AHEAD)
    stopped = threading.Event()
    errors: list[BaseException] = []

    def send_all() -> None:
        try:
            while (item := ready.get()) is not None:
                _send_one(sender, item, record, outcomes, settings)
        except BaseException as e:  # handed to the rendering thread, raised there
            errors.append(e)
            stopped.set()
            while ready.get() is not None:  # let the rendering thread finish putting
                pass

    thread = threading.Thread(target=send_all, name="shopcore-send", daemon=True)
    # The sending thread wakes up four times a message (MAIL, RCPT, DATA, the final reply):
    # each time it must get the interpreter back from the rendering thread quickly.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    thread.start()
    try:
        for item in outgoing:
            if stopped.is_set():
                break
            ready.put(item)
    finally:
        ready.put(None)
        thread.join()
        sys.setswitchinterval(switch)
    if errors:
        raise errors[0]


class _Recorder:
    """Marks one message sent or failed, committed at once (one round trip on PostgreSQL)."""

    def __init__(self, connection: Connection, now: datetime | None) -> None:
        self.connection = connection
        self.now = now

    def __call__(self, item: Outgoing, status: MessageStatus, *, error: str | None = None) -> None:
        sent_at = (self.now or utcnow()) if status == MessageStatus.SENT else None
        statement = (
            update(Message)
            .where(Message.id == item.message_id)
            .values(status=status, sent_at=sent_at, error=error, subject=item.subject)
        )
        self.connection.execute(statement)
        self.connection.commit()


@contextmanager
def _recorder(database: Database, now: datetime | None) -> Iterator[_Recorder]:
    with database.engine.connect() as connection:
        postgres = database.dialect == "postgresql"
        if postgres:
            # Each statement its own transaction; and the worker may die, the database will not
            # lose these, so no need to wait for the WAL to reach the disk on each one (a server
            # crash could lose the last few, and they would be sent again).
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("SET synchronous_commit TO OFF")
        try:
            yield _Recorder(connection, now)
        finally:
            if postgres:
                connection.exec_driver_sql("RESET synchronous_commit")


def _close_steps(connection: Connection, outcomes: Outcomes) -> None:
    for items, status in ((outcomes.sent, StepStatus.SENT), (outcomes.failed, StepStatus.FAILED)):
        if items:
            connection.execute(
                update(EnrollmentStep)
                .where(EnrollmentStep.id.in_([item.step_id for item in items]))
                .values(status=status)
            )
    completed = [i.completes for i in outcomes.sent + outcomes.failed if i.completes]
    if completed:
        connection.execute(
            update(Enrollment)
            .where(Enrollment.id.in_(completed), Enrollment.status == EnrollmentStatus.ACTIVE)
            .values(status=EnrollmentStatus.COMPLETED)
        )
    # Whatever transaction the connection has begun (or none, on PostgreSQL's autocommit).
    connection.commit()
