"""Failed sign-ins counted per IP address and per email, to stop password guessing.

After ``LIMIT`` failures within ``WINDOW_SECONDS`` of the first, that address or email may
not try again until the window ends. The counts live in Redis when ``SHOPCORE_REDIS_URL`` is
set, so every gunicorn worker and host sees the same ones, and in this process otherwise.
If Redis stops answering, counting goes on in the process rather than letting guesses in.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

from flask import current_app
from redis import Redis, RedisError

from shopcore.identity import normalize_email

log = logging.getLogger(__name__)

LIMIT = 10
WINDOW_SECONDS = 15 * 60
KEY_PREFIX = "shopcore:login-failures:"
_EXTENSION = "shopcore.login_throttle"


class Counter(Protocol):
    def count(self, key: str) -> tuple[int, int]:
        """The failures under ``key`` and the seconds until they are forgotten."""
        ...

    def add(self, key: str, window: int) -> None: ...

    def clear(self, key: str) -> None: ...


@dataclass
class MemoryCounter:
    """Counts in this process only: the embedded default, and the fallback when Redis fails."""

    clock: Callable[[], float] = time.monotonic
    _counts: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, key: str) -> tuple[int, int]:
        with self._lock:
            count, ends = self._counts.get(key, (0, 0.0))
            left = ends - self.clock()
            return (count, math.ceil(left)) if left > 0 else (0, 0)

    def add(self, key: str, window: int) -> None:
        with self._lock:
            now = self.clock()
            self._forget_ended(now)
            count, ends = self._counts.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + window
            self._counts[key] = (count + 1, ends)

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _forget_ended(self, now: float) -> None:
        # Bounded memory however many addresses try: ended windows go on every write.
        if len(self._counts) > 10_000:
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}


@dataclass
class RedisCounter:
    """Counts shared by every process through Redis, one expiring key per address or email."""

    redis: Redis
    fallback: MemoryCounter = field(default_factory=MemoryCounter)

    def count(self, key: str) -> tuple[int, int]:
        try:
            with self.redis.pipeline() as pipe:
                raw, ttl = pipe.get(key).ttl(key).execute()
        except RedisError:
            log.warning("Redis unavailable; counting failed sign-ins in this process")
            return self.fallback.count(key)
        return (int(raw), max(int(ttl), 1)) if raw is not None else (0, 0)

    def add(self, key: str, window: int) -> None:
        try:
            with self.redis.pipeline() as pipe:
                # The window starts at the first failure: SET NX gives a new key its expiry,
                # INCR keeps it.
                pipe.set(key, 0, ex=window, nx=True).incr(key).execute()
        except RedisError:
            log.warning("Redis unavailable; counting failed sign-ins in this process")
            self.fallback.add(key, window)

    def clear(self, key: str) -> None:
        try:
            self.redis.delete(key)
        except RedisError:
            self.fallback.clear(key)


@dataclass
class LoginThrottle:
    counter: Counter
    limit: int = LIMIT
    window: int = WINDOW_SECONDS

    def wait_seconds(self, ip: str, email: str) -> int:
        """Seconds until this address and email may try again; 0 when they may now."""
        waits = [self.counter.count(key) for key in _keys(ip, email)]
        return max((left for count, left in waits if count >= self.limit), default=0)

    def failed(self, ip: str, email: str) -> None:
        for key in _keys(ip, email):
            self.counter.add(key, self.window)

    def succeeded(self, email: str) -> None:
        # The email's count only: clearing the address's would let one known password
        # reset it for guessing at other accounts.
        self.counter.clear(_keys("", email)[1])


def _keys(ip: str, email: str) -> tuple[str, str]:
    address = normalize_email(email) or email.strip().lower()
    # Emails are hashed so that Redis holds no list of who tried to sign in.
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}ip:{ip}", f"{KEY_PREFIX}email:{digest}"


def login_throttle() -> LoginThrottle:
    """The app's throttle, on Redis when the settings name one, made on first use."""
    throttle = current_app.extensions.get(_EXTENSION)
    if throttle is None:
        redis_url = current_app.config["SHOPCORE"].redis_url
        counter: Counter = (
            RedisCounter(Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2))
            if redis_url
            else MemoryCounter()
        )
        throttle = current_app.extensions.setdefault(_EXTENSION, LoginThrottle(counter))
    return cast(LoginThrottle, throttle)
