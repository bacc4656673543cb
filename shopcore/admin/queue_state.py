"""What RQ's queues hold: depth per queue, failed jobs with their errors, and a retry.

Read straight from Redis through RQ's own registries; nothing here is kept in the database.
Failed jobs are paged by position in RQ's failed-job registry (a sorted set), newest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from rq import Queue
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.results import Result

from shopcore.queue import QUEUES

# RQ makes ids of 32 hex digits; anything far from that shape was never one of its ids.
_JOB_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class JobNotFound(LookupError):
    """No failed job with this id waits in that queue's failed-job registry."""


@dataclass(frozen=True)
class QueueDepth:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    # None when the job's data has expired from Redis before its registry entry.
    function: str | None
    description: str | None
    ended_at: datetime | None
    error: str | None

    @property
    def summary(self) -> str:
        """The error's last line: the exception and its message."""
        lines = [line for line in (self.error or "").strip().splitlines() if line.strip()]
        return lines[-1] if lines else "No error recorded."


def queue_depths(redis: Redis) -> list[QueueDepth]:
    """Jobs waiting, running, scheduled and failed in each of Shopcore's queues."""
    found = []
    for name in QUEUES:
        queue = Queue(name, connection=redis)
        found.append(
            QueueDepth(
                name,
                queue.count,
                queue.started_job_registry.count,
                queue.scheduled_job_registry.count,
                queue.failed_job_registry.count,
            )
        )
    return found


def failed_jobs(redis: Redis, name: str, *, offset: int, size: int) -> tuple[list[FailedJob], int]:
    """A page of the queue's failed jobs, newest first, and how many there are."""
    registry = Queue(name, connection=redis).failed_job_registry
    ids = registry.get_job_ids(offset, offset + size - 1, desc=True)
    jobs = Job.fetch_many(ids, connection=redis) if ids else []
    return [_failed(job_id, name, job) for job_id, job in zip(ids, jobs, strict=True)], int(
        registry.count
    )


def retry_job(redis: Redis, name: str, job_id: str) -> None:
    """Put a failed job back on its queue, or raise JobNotFound."""
    if name not in QUEUES or not _JOB_ID.fullmatch(job_id):
        raise JobNotFound(job_id)
    registry = Queue(name, connection=redis).failed_job_registry
    try:
        registry.requeue(job_id)
    except (InvalidJobOperation, NoSuchJobError) as e:
        raise JobNotFound(job_id) from e


def _failed(job_id: str, name: str, job: Job | None) -> FailedJob:
    if job is None:
        return FailedJob(job_id, name, None, None, None, None)
    result = job.latest_result()
    error = result.exc_string if result is not None and result.type == Result.Type.FAILED else None
    return FailedJob(job_id, name, job.func_name, job.description, job.ended_at, error)
