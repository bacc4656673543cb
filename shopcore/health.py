"""``GET /healthz``: is the database reachable and migrated, and is the queue there."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import text

from shopcore.db import Database
from shopcore.migrate import head_revision
from shopcore.queue import JobQueue

blueprint = Blueprint("health", __name__)


def database_state(database: Database) -> dict[str, Any]:
    try:
        with database.engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as e:
        return {"ok": False, "backend": database.dialect, "error": type(e).__name__}
    # Code newer than its schema is not healthy: `shopcore db upgrade` has not run yet.
    current = revision == head_revision()
    return {"ok": current, "backend": database.dialect, "revision": revision}


@blueprint.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    """The state of the database and the queue; 503 when either is down."""
    database: Database = current_app.extensions["shopcore.db"]
    jobs: JobQueue = current_app.extensions["shopcore.queue"]
    state = {"database": database_state(database), "queue": jobs.state()}
    ok = all(part["ok"] for part in state.values())
    return {"status": "ok" if ok else "unavailable", **state}, 200 if ok else 503
