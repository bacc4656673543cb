"""Jobs leave only after the transaction that caused them commits, in-process or on RQ."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from redis import Redis
from rq import Queue
from sqlalchemy import select

from config.settings import load_settings
from shopcore import queue
from shopcore.db import Database
from shopcore.enums import Platform
from shopcore.models import Source
from tests.factories import random_ref
from tests.integration import jobs

ROOT = Path(__file__).resolve().parents[2]


def _names(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(Source.name)))


def test_an_in_process_job_runs_after_the_commit_and_sees_its_rows(db: Database) -> None:
    name = random_ref("src-")
    with db.session() as session:
        session.add(Source(name=name, platform=Platform.API))
        queue.enqueue_after_commit(session, jobs.seen_source, name)
        session.commit()
    with db.session() as session:
        assert session.scalar(select(Source.secret).where(Source.name == name)) == "seen"


def test_a_rolled_back_transaction_enqueues_nothing(db: Database) -> None:
    name = random_ref("src-")
    with db.session() as session:
        queue.enqueue_after_commit(session, jobs.record_source, name)
        session.rollback()
        session.commit()
    assert name not in _names(db)


def test_jobs_must_be_importable_by_path(db: Database) -> None:
    def local_job() -> None: ...

    with db.session() as session:
        try:
            queue.enqueue_after_commit(session, local_job)
        except ValueError as e:
            assert "importable" in str(e)
        else:
            raise AssertionError("a local function was accepted as a job")


def test_with_redis_jobs_wait_in_rq_until_the_commit_and_a_worker_runs_them(
    db: Database, redis_url: str
) -> None:
    queue.configure(load_settings(environ={}, redis_url=redis_url))
    rq_queue = Queue("default", connection=Redis.from_url(redis_url))
    name = random_ref("src-")
    with db.session() as session:
        session.add(Source(name=name, platform=Platform.API))
        queue.enqueue_after_commit(session, jobs.seen_source, name)
        session.flush()
        assert rq_queue.count == 0
        session.commit()
    assert rq_queue.count == 1

    env = {
        **os.environ,
        "SHOPCORE_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "SHOPCORE_REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }
    worker = subprocess.run(
        [sys.executable, "-m", "shopcore", "worker", "--burst"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    assert rq_queue.count == 0
    with db.session() as session:
        assert session.scalar(select(Source.secret).where(Source.name == name)) == "seen"


def test_health_reports_the_depth_of_the_rq_queues(redis_url: str) -> None:
    jobs_queue = queue.configure(load_settings(environ={}, redis_url=redis_url))
    Queue("default", connection=Redis.from_url(redis_url)).enqueue(jobs.record_source, "x")
    assert jobs_queue.state() == {"backend": "rq", "ok": True, "queued": {"default": 1}}


def test_health_reports_redis_down_instead_of_failing() -> None:
    jobs_queue = queue.configure(load_settings(environ={}, redis_url="redis://127.0.0.1:1/0"))
    state = jobs_queue.state()
    assert state["ok"] is False and state["backend"] == "rq"


def test_a_released_savepoint_does_not_let_jobs_leave_before_the_commit(db: Database) -> None:
    name = random_ref("src-")
    with db.session() as session:
        session.add(Source(name=name, platform=Platform.API))
        queue.enqueue_after_commit(session, jobs.seen_source, name)
        with session.begin_nested():
            session.add(Source(name=random_ref("src-"), platform=Platform.API))
        session.commit()
    # Had the job run at the savepoint, it would not have found its uncommitted row.
    with db.session() as session:
        assert session.scalar(select(Source.secret).where(Source.name == name)) == "seen"
