"""The sign-in throttle's counting, on a fake clock."""

from __future__ import annotations

from shopcore.admin.throttle import LIMIT, WINDOW_SECONDS, LoginThrottle, MemoryCounter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_is_reached_at_the_tenth_failure_and_lasts_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(MemoryCounter(clock=clock))
    for _ in range(LIMIT - 1):
        throttle.failed("127.0.0.1", "ann@shop.example")
    assert throttle.wait_seconds("127.0.0.1", "ann@shop.example") == 0
    throttle.failed("127.0.0.1", "ann@shop.example")
    assert 0 < throttle.wait_seconds("127.0.0.1", "ann@shop.example") <= WINDOW_SECONDS
    clock.now += WINDOW_SECONDS - 1
    assert throttle.wait_seconds("127.0.0.1", "ann@shop.example") > 0
    clock.now += 1
    assert throttle.wait_seconds("127.0.0.1", "ann@shop.example") == 0


def test_the_window_starts_at_the_first_failure_not_the_last() -> None:
    clock = Clock()
    throttle = LoginThrottle(MemoryCounter(clock=clock))
    throttle.failed("127.0.0.1", "ann@shop.example")
    clock.now += WINDOW_SECONDS - 10
    for _ in range(LIMIT - 1):
        throttle.failed("127.0.0.1", "ann@shop.example")
    assert throttle.wait_seconds("127.0.0.1", "ann@shop.example") <= 10
    clock.now += 10
    throttle.failed("127.0.0.1", "ann@shop.example")
    assert throttle.wait_seconds("127.0.0.1", "ann@shop.example") == 0


def test_emails_are_counted_however_they_are_written() -> None:
    throttle = LoginThrottle(MemoryCounter(clock=Clock()))
    for n in range(LIMIT):
        throttle.failed(f"127.0.0.{n + 1}", " Ann@Shop.Example" if n % 2 else "ann@shop.example")
    assert throttle.wait_seconds("127.0.0.99", "ANN@shop.example") > 0
    assert throttle.wait_seconds("127.0.0.99", "bob@shop.example") == 0
