"""Running a unit of work in its own transaction, retried when the database asks for it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from shopcore.db import Database

T = TypeVar("T")

# serialization_failure, deadlock_detected: safe to run the whole transaction again.
# unique_violation: a concurrent transaction inserted the same key (a customer's email, an
# order's external id) first; run again, the work finds that row instead of inserting.
RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}


class Conflict(Exception):
    """A concurrent change invalidated what this transaction read; run it again."""


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, Conflict):
        return True
    if isinstance(error, DBAPIError):
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if code in RETRYABLE_SQLSTATES:
            return True
        # SQLite: another writer held the lock past the busy timeout, or won an insert race.
        message = str(error.orig)
        return "database is locked" in message or "UNIQUE constraint failed" in message
    return False


def run_in_transaction(database: Database, work: Callable[[Session], T], *, attempts: int = 8) -> T:
    """Call ``work(session)`` and commit; on a deadlock or serialization failure, start over."""
    for attempt in range(1, attempts + 1):
        with database.session() as session:
            try:
                result = work(session)
                session.commit()
                return result
            except Exception as e:
                session.rollback()
                if attempt == attempts or not is_retryable(e):
                    raise
        time.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise AssertionError("unreachable")
