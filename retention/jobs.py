"""Retention's background jobs: importable by path, given ids, opening their own sessions."""

from __future__ import annotations

from typing import Any

from config.settings import load_settings
from retention.scheduler import tick
from retention.sending import send_steps
from shopcore.db import get_database


def send_steps_job(step_ids: list[int]) -> dict[str, Any]:
    """Send the claimed steps ``step_ids`` (one batch, one SMTP connection)."""
    report = send_steps(get_database(), load_settings(), step_ids)
    return {
        "sent": report.sent,
        "skipped": report.skipped,
        "deferred": report.deferred,
        "failed": report.failed,
    }


def tick_job() -> dict[str, Any]:
    """Run one scheduler pass."""
    report = tick(get_database(), load_settings())
    return {"enrolled": report.enrolled, "claimed": report.claimed}
