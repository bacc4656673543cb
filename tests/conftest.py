"""Shared fixtures: real SQLite and PostgreSQL databases, and a real Redis.

Service URLs come from ``SHOPCORE_TEST_DATABASE_URL`` and ``SHOPCORE_TEST_REDIS_URL``
(defaulting to the local servers). Without a service, its tests skip with one line saying
why; with ``CI=true`` they fail instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import retention.models  # noqa: F401  (registers the retention tables for TRUNCATE)
import shopcore.snapshots  # noqa: F401  (registers the admin snapshots for TRUNCATE)
from config.settings import load_settings
from retention.enrollment import forget_cycles
from shopcore import db as shopcore_db
from shopcore import queue as shopcore_queue
from shopcore.db import Base, Database, make_engine, normalize_database_url
from shopcore.migrate import upgrade

PG_URL = os.environ.get("SHOPCORE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SHOPCORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"


def service_missing(reason: str) -> None:
    """Skip locally, fail in CI: a test that needs a service never passes without it."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: services are required)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test that needs one."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    # Fold the write-ahead log into the file, so that copying the file copies the schema.
    raw = engine.raw_connection()
    raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A scratch PostgreSQL database, migrated once, dropped at the end of the run."""
    admin_url = normalize_database_url(PG_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception as e:
        admin.dispose()
        service_missing(f"PostgreSQL not reachable at {PG_URL}: {type(e).__name__}")
    name = f"shopcore_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated, empty database, on SQLite and on PostgreSQL.

    It is also the process's database, so services and jobs that open their own sessions
    (``shopcore.db.session_scope``) use it.
    """
    if request.param == "sqlite":
        path = tmp_path / "shopcore.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
    database = shopcore_db.configure(url=url)
    if database.dialect == "postgresql":
        _truncate_all(database)
    forget_cycles()
    yield database
    database.engine.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis database, emptied before and after the test."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as e:
        service_missing(f"Redis not reachable at {REDIS_URL}: {type(e).__name__}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def _in_process_jobs_by_default() -> Iterator[None]:
    """Each test starts with in-process jobs; Redis tests configure the queue themselves."""
    shopcore_queue.configure(load_settings(environ={}))
    yield
    shopcore_queue.configure(load_settings(environ={}))


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    """An empty, migrated PostgreSQL database with room for many concurrent connections."""
    database = shopcore_db.configure(url=pg_url)
    database.engine.dispose()
    database = Database(make_engine(pg_url, pool_size=40, max_overflow=0), database.sessions)
    database.sessions.configure(bind=database.engine)
    _truncate_all(database)
    yield database
    database.engine.dispose()
