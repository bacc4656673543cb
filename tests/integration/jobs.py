"""Job functions for the queue tests, importable by path as every job must be."""

from __future__ import annotations

from shopcore.db import session_scope
from shopcore.enums import Platform
from shopcore.models import Source


def record_source(name: str) -> None:
    """A job with a visible effect: it adds a source row."""
    with session_scope() as session:
        session.add(Source(name=name, platform=Platform.API))
        session.commit()


def seen_source(name: str) -> None:
    """A job that needs the row of the transaction that enqueued it."""
    with session_scope() as session:
        source = session.query(Source).filter_by(name=name).one()
        source.secret = "seen"
        session.commit()
