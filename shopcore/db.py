"""Engine, sessions and the declarative base shared by the web app, the CLI and the jobs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from config.settings import Settings, load_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Shopcore stores aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalize_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and drive them with psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, say BEGIN: pysqlite's own implicit transactions
    # break SAVEPOINT (see SQLAlchemy's "Serializable isolation / Savepoints" notes).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE: take the write lock at the start, waiting up to the busy timeout for it.
    # A deferred transaction that reads and then writes fails at once ("database is
    # locked") when another connection wrote in between; SQLite is the single-process
    # embedded default, so serialising its transactions costs nothing that matters.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings each backend needs."""
    url = normalize_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@dataclass
class Database:
    """One engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one request or job; the caller commits, anything else rolls back."""
        with self.sessions() as session:
            yield session


_database: Database | None = None


def configure(settings: Settings | None = None, *, url: str | None = None) -> Database:
    """Point the process at a database (settings' by default) and return it."""
    global _database
    settings = settings or load_settings()
    engine = make_engine(url or settings.effective_database_url)
    if _database is not None:
        _database.engine.dispose()
    _database = Database(engine, sessionmaker(engine, expire_on_commit=False))
    return _database


def get_database() -> Database:
    """The configured database, configured from the environment on first use (workers)."""
    return _database or configure()


def _forget_parent_connections() -> None:
    # A forked RQ work horse must not share the parent's pooled sockets (the scheduler pass
    # may be using one at that moment): it opens its own, leaving the parent's untouched.
    if _database is not None:
        _database.engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_connections)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session on the process's database: what jobs and commands use."""
    with get_database().session() as session:
        yield session
