"""Background jobs: RQ on Redis when ``SHOPCORE_REDIS_URL`` is set, in-process otherwise.

Jobs are handed over only after the transaction that caused them commits, so a worker never
looks for a row that is not there yet, and a rolled-back request leaves no job behind.
Every job is rebuilt from rows if Redis loses it: Redis carries work, PostgreSQL keeps promises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from rq import Queue, Worker
from sqlalchemy import event
from sqlalchemy.orm import Session

from config.settings import Settings, load_settings

log = logging.getLogger(__name__)

QUEUES = ("default",)
_PENDING = "shopcore.pending_jobs"


@dataclass(frozen=True)
class JobCall:
    func: Callable[..., Any] | str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    queue: str = "default"

    @property
    def name(self) -> str:
        return self.func if isinstance(self.func, str) else _path_of(self.func)


def _path_of(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


class InProcessQueue:
    """Runs each job right away in this process: the embedded default for the demo."""

    backend = "in-process"

    def dispatch(self, call: JobCall) -> None:
        try:
            _resolve(call.func)(*call.args, **call.kwargs)
        except Exception:
            log.exception("in-process job %s failed", call.name)

    def state(self) -> dict[str, Any]:
        return {"backend": self.backend, "ok": True}


class RedisQueue:
    """Hands jobs to RQ workers (``shopcore worker``) through Redis."""

    backend = "rq"

    def __init__(self, url: str) -> None:
        self.url = url
        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)

    def queue(self, name: str = "default") -> Queue:
        return Queue(name, connection=self.redis)

    def dispatch(self, call: JobCall) -> None:
        try:
            self.queue(call.queue).enqueue(call.name, *call.args, **call.kwargs)
        except Exception:
            # The committed rows still hold the work; the scheduler finds it again.
            log.exception("could not enqueue %s on %s", call.name, self.url)

    def state(self) -> dict[str, Any]:
        try:
            self.redis.ping()
        except Exception as e:
            return {"backend": self.backend, "ok": False, "error": str(e)}
        queued = {name: self.queue(name).count for name in QUEUES}
        return {"backend": self.backend, "ok": True, "queued": queued}


JobQueue = InProcessQueue | RedisQueue
_queue: JobQueue | None = None


def configure(settings: Settings | None = None) -> JobQueue:
    """Choose the job backend from the settings (Redis when a URL is given)."""
    global _queue
    settings = settings or load_settings()
    _queue = RedisQueue(settings.redis_url) if settings.redis_url else InProcessQueue()
    return _queue


def get_queue() -> JobQueue:
    return _queue or configure()


def enqueue_after_commit(
    session: Session,
    func: Callable[..., Any] | str,
    *args: Any,
    queue: str = "default",
    **kwargs: Any,
) -> None:
    """Queue ``func(*args, **kwargs)`` to run once ``session`` commits; dropped on rollback."""
    if not isinstance(func, str) and "<" in func.__qualname__:
        raise ValueError(f"{func.__qualname__} is not importable by path; jobs must be")
    if not session.in_transaction():
        # Bind the job to a transaction so that a rollback before any SQL drops it too.
        session.begin()
    session.info.setdefault(_PENDING, []).append(JobCall(func, args, kwargs, queue))


@event.listens_for(Session, "after_commit")
def _dispatch_pending(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy says after_commit when a savepoint is released too: nothing is visible
        # to a worker until the outermost transaction commits.
        return
    calls: list[JobCall] = session.info.pop(_PENDING, [])
    for call in calls:
        get_queue().dispatch(call)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, _previous: Any) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


def _resolve(func: Callable[..., Any] | str) -> Callable[..., Any]:
    if not isinstance(func, str):
        return func
    module, _, name = func.rpartition(".")
    imported = __import__(module, fromlist=[name])
    return getattr(imported, name)


class ShopcoreWorker(Worker):
    """RQ's worker, which lets go of its command listener within a second when it stops.

    redis-py 8 waits, without a limit, for the listener thread's current read (up to RQ's
    60 s) when RQ stops it: a burst worker would sit a minute after its last job.
    """

    def unsubscribe(self) -> None:
        if self.pubsub_thread:
            self.pubsub.unsubscribe()
            self.pubsub_thread.stop(timeout=1)
            self.pubsub.close()


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    """Run an RQ worker with its scheduler on Shopcore's queues until stopped."""
    if not settings.redis_url:
        raise RuntimeError("shopcore worker needs SHOPCORE_REDIS_URL (jobs run in-process without)")
    connection = Redis.from_url(settings.redis_url)
    worker = ShopcoreWorker(list(QUEUES), connection=connection)
    return bool(worker.work(burst=burst, with_scheduler=True))
