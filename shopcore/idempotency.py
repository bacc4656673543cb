"""Answering a request sent with an ``Idempotency-Key`` once, and replaying that answer.

The key's row is inserted first, in the same transaction as the work it guards, so the
unique (token, key) index decides between concurrent twins: the second one waits for the
first to commit (PostgreSQL) or for the write lock (SQLite), fails its insert, and replays
what the first one stored. A rolled-back attempt leaves no key behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopcore.db import Database
from shopcore.models import IdempotencyKey
from shopcore.transactions import run_in_transaction

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Answer:
    """An HTTP answer worth keeping: its status and JSON body."""

    status: int
    body: dict[str, Any] = field(hash=False)
    replayed: bool = False


class KeyReused(ValueError):
    """The key was first sent with another request body."""


def request_hash(canonical_body: str) -> str:
    return hashlib.sha256(canonical_body.encode()).hexdigest()


def answer_once(
    database: Database,
    work: Callable[[Session], Answer],
    *,
    token_id: int,
    key: str,
    fingerprint: str,
    attempts: int = 3,
) -> Answer:
    """The stored answer for (token, key), or ``work``'s answer, stored with its key.

    ``work`` runs in the transaction that inserts the key; an exception it raises rolls
    both back, so only answers it returns are kept. Raises KeyReused when the key was
    first used with a request whose ``fingerprint`` differs.
    """
    for attempt in range(1, attempts + 1):
        stored = _stored(database, token_id, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        try:
            return run_in_transaction(
                database, lambda session: _first(session, work, token_id, key, fingerprint)
            )
        except IntegrityError:
            # A twin took the key (or another unique row) first: look again, then retry.
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _first(
    session: Session,
    work: Callable[[Session], Answer],
    token_id: int,
    key: str,
    fingerprint: str,
) -> Answer:
    record = IdempotencyKey(
        token_id=token_id, key=key, request_hash=fingerprint, status_code=0, response={}
    )
    session.add(record)
    session.flush()
    answer = work(session)
    record.status_code = answer.status
    record.response = answer.body
    return answer


def _stored(database: Database, token_id: int, key: str) -> IdempotencyKey | None:
    with database.session() as session:
        return session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.token_id == token_id, IdempotencyKey.key == key
            )
        )


def _replay(stored: IdempotencyKey, fingerprint: str) -> Answer:
    if stored.request_hash != fingerprint:
        raise KeyReused("this Idempotency-Key was first used with a different request body")
    return Answer(stored.status_code, stored.response, replayed=True)
