"""What every admin view shares: the blueprint, the request's session, settings, error pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from flask import Blueprint, abort, current_app, g, render_template, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from config.settings import Settings
from shopcore.db import Database
from shopcore.transactions import run_in_transaction
from shopcore.values import MAX_QUANTITY

T = TypeVar("T")

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
root = Blueprint("root", __name__)

PAGE_SIZE = 50
MAX_FORM_BYTES = 64 * 1024
# Ids are INTEGER columns: a larger one cannot exist, and PostgreSQL would refuse to compare.
MAX_ID = MAX_QUANTITY


def database() -> Database:
    return cast(Database, current_app.extensions["shopcore.db"])


def settings() -> Settings:
    return cast(Settings, current_app.config["SHOPCORE"])


def db_session() -> Session:
    """The request's session for reads; writes go through ``run``."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return cast(Session, g.db_session)


def run(work: Callable[[Session], T]) -> T:
    """Run ``work`` in its own transaction, retried on deadlocks and lost races, then commit."""
    if "db_session" in g:
        # End the request's reads first: on SQLite every transaction holds the write lock.
        g.db_session.rollback()
    return run_in_transaction(database(), work)


@blueprint.teardown_app_request
def _close_session(_error: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


@blueprint.before_request
def _refuse_odd_input() -> None:
    request.max_content_length = MAX_FORM_BYTES
    # PostgreSQL text cannot hold NUL: refuse it here rather than fail in a query.
    values = [request.path, *request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, "The request contains a NUL character.")


@blueprint.errorhandler(400)
@blueprint.errorhandler(403)
@blueprint.errorhandler(404)
@blueprint.errorhandler(405)
@blueprint.errorhandler(413)
@blueprint.errorhandler(429)
def _error_page(error: HTTPException) -> tuple[str, int]:
    return render_template("error.html", error=error), error.code or 500
