"""Snapshots: figures computed in the background and read by pages in constant time.

A snapshot is one row per name, its payload plain JSON (numbers, strings, lists), written
whole each time it is refreshed, and stamped with when it was computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from shopcore.db import Base, UTCDateTime, utcnow


class AdminSnapshot(Base):
    __tablename__ = "admin_snapshots"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Snapshot:
    """A stored payload and the moment it was computed."""

    name: str
    payload: dict[str, Any]
    computed_at: datetime


def save_snapshot(
    session: Session, name: str, payload: dict[str, Any], *, computed_at: datetime | None = None
) -> Snapshot:
    """Store ``payload`` under ``name``, replacing what was there; the caller commits."""
    moment = computed_at or utcnow()
    row = session.get(AdminSnapshot, name)
    if row is None:
        session.add(AdminSnapshot(name=name, payload=payload, computed_at=moment))
    else:
        row.payload = payload
        row.computed_at = moment
    session.flush()
    return Snapshot(name, payload, moment)


def read_snapshot(session: Session, name: str) -> Snapshot | None:
    """The snapshot stored under ``name``, or None before the first refresh."""
    row = session.get(AdminSnapshot, name)
    if row is None:
        return None
    return Snapshot(row.name, row.payload, row.computed_at)
