"""The jobs page against a real Redis: queue depths, a failed job with its error, and a
retry that puts it back for a worker; with in-process jobs, the page says there is no queue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker

from config.settings import load_settings
from shopcore import create_app
from shopcore.db import Database
from shopcore.enums import Role
from shopcore.queue import ShopcoreWorker
from tests.integration.admin_support import post_form, signed_in, text
from tests.integration.page_figures import figures, within

pytestmark = pytest.mark.redis

ATTEMPTS = "shopcore:test:attempts"


def fails_the_first_time(redis_url: str) -> str:
    """A job that raises on its first run and succeeds on the next."""
    attempts = Redis.from_url(redis_url).incr(ATTEMPTS)
    if attempts == 1:
        raise RuntimeError("the warehouse API timed out")
    return "done"


@pytest.fixture
def rq_app(db: Database, redis_url: str) -> Iterator[Flask]:
    settings = load_settings(
        environ={},
        database_url=db.engine.url.render_as_string(hide_password=False),
        redis_url=redis_url,
        secret_key="test",
    )
    yield create_app(settings)


class InProcessWorker(ShopcoreWorker, SimpleWorker):
    """Shopcore's worker running jobs in this process: a failure lands in RQ's registry."""


def work_off(redis: Redis) -> None:
    InProcessWorker([Queue("default", connection=redis)], connection=redis).work(burst=True)


def test_a_failed_job_shows_its_error_and_a_retry_runs_it_again(
    rq_app: Flask, db: Database, redis_url: str
) -> None:
    redis = Redis.from_url(redis_url)
    queue = Queue("default", connection=redis)
    job = queue.enqueue(f"{__name__}.fails_the_first_time", redis_url)
    work_off(redis)
    assert queue.failed_job_registry.get_job_ids() == [job.id]
    client: FlaskClient = signed_in(rq_app.test_client(), db, Role.ADMIN)

    page = text(client.get("/admin/jobs"))

    depth = figures(within(page, "data-queue", "default"))
    assert depth == {"queued": "0", "started": "0", "scheduled": "0", "failed": "1"}
    failed = within(page, "data-job", job.id)
    assert "RuntimeError: the warehouse API timed out" in failed
    assert f"{__name__}.fails_the_first_time" in failed

    response = post_form(client, "/admin/jobs/retry", queue="default", job=job.id)

    assert response.status_code == 302
    assert queue.failed_job_registry.count == 0 and queue.count == 1
    assert figures(within(text(client.get("/admin/jobs")), "data-queue", "default")) == {
        "queued": "1",
        "started": "0",
        "scheduled": "0",
        "failed": "0",
    }
    work_off(redis)
    assert queue.finished_job_registry.get_job_ids() == [job.id]
    assert redis.get(ATTEMPTS) == b"2"


def test_retrying_a_job_that_is_not_failed_says_so(
    rq_app: Flask, db: Database, redis_url: str
) -> None:
    client: FlaskClient = signed_in(rq_app.test_client(), db, Role.ADMIN)

    response = post_form(client, "/admin/jobs/retry", queue="default", job="0" * 32)

    assert response.status_code == 302
    assert "not among the failed ones" in text(client.get(response.headers["Location"]))
    odd = post_form(client, "/admin/jobs/retry", queue="../x", job="a b")
    assert odd.status_code == 302


def test_with_in_process_jobs_there_is_no_queue(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, Role.ADMIN)

    page = text(client.get("/admin/jobs"))

    assert "Jobs run in this process" in page and "there is no queue" in page
    response = post_form(client, "/admin/jobs/retry", queue="default", job="x")
    assert response.status_code == 302
