"""Jobs (admins only): queue depths and failed jobs on Redis, and retrying a failed one."""

from __future__ import annotations

import logging
from typing import cast

from flask import current_app, flash, redirect, render_template, request, url_for
from redis import Redis, RedisError
from werkzeug.wrappers import Response

from shopcore.admin.access import current_user, requires
from shopcore.admin.base import PAGE_SIZE, blueprint
from shopcore.admin.queue_state import JobNotFound, failed_jobs, queue_depths, retry_job
from shopcore.enums import Role
from shopcore.queue import QUEUES, JobQueue, RedisQueue

log = logging.getLogger(__name__)

MAX_PAGE = 10_000


@blueprint.get("/jobs")
@requires(Role.ADMIN)
def jobs() -> str:
    """Jobs waiting, running and failed per queue, the failures with their errors."""
    redis = _redis()
    if redis is None:
        return render_template("jobs.html", backend="in-process")
    name = request.args.get("queue", QUEUES[0])
    name = name if name in QUEUES else QUEUES[0]
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    try:
        depths = queue_depths(redis)
        failed, total = failed_jobs(redis, name, offset=(page - 1) * PAGE_SIZE, size=PAGE_SIZE)
    except RedisError as e:
        return render_template("jobs.html", backend="rq", error=str(e))
    return render_template(
        "jobs.html",
        backend="rq",
        depths=depths,
        queue=name,
        failed=failed,
        total=total,
        page=page,
        more=page * PAGE_SIZE < total,
    )


@blueprint.post("/jobs/retry")
@requires(Role.ADMIN)
def retry_failed_job() -> Response:
    """Put a failed job back on its queue for a worker to run again."""
    redis = _redis()
    name = request.form.get("queue", "")[:64]
    job_id = request.form.get("job", "")[:200]
    if redis is None:
        flash("Jobs run in this process: there is no queue to retry on.", "error")
        return redirect(url_for("admin.jobs"))
    try:
        retry_job(redis, name, job_id)
    except JobNotFound:
        flash("That job is not among the failed ones any more.", "error")
    except RedisError as e:
        flash(f"Redis did not answer: {e}", "error")
    else:
        user = current_user()
        log.info("%s retried job %s on %s", user.email if user else "?", job_id, name)
        flash(f"Job {job_id} is queued again.", "ok")
    return redirect(url_for("admin.jobs", queue=name if name in QUEUES else None))


def _redis() -> Redis | None:
    """The app's Redis connection, or None when jobs run in-process."""
    queue = cast(JobQueue, current_app.extensions["shopcore.queue"])
    return queue.redis if isinstance(queue, RedisQueue) else None
