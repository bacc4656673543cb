"""Running the scheduler pass every few seconds beside a worker or the demo server."""

from __future__ import annotations

import logging
import threading

from config.settings import Settings
from retention.scheduler import tick
from shopcore.db import Database

log = logging.getLogger(__name__)


def start_ticker(database: Database, settings: Settings) -> threading.Event:
    """Run ``tick`` every ``SHOPCORE_TICK_SECONDS`` in a daemon thread; set the event to stop."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                report = tick(database, settings)
                if report.claimed or any(report.enrolled.values()):
                    log.info(
                        "scheduler pass: enrolled %s, claimed %d", report.enrolled, report.claimed
                    )
            except Exception:
                # A pass that fails (database restarting) is simply tried again next time.
                log.exception("scheduler pass failed")
            stop.wait(settings.tick_seconds)

    threading.Thread(target=run, name="shopcore-scheduler", daemon=True).start()
    return stop
