"""What every API view shares: the blueprint, bearer tokens, reading JSON, JSON errors.

Nothing a client sends may produce a 5xx: bodies are size-capped, must be JSON of valid
UTF-8 with no NUL characters (PostgreSQL text cannot hold them), and every error is answered
as ``{"error": CODE, "message": TEXT, ...}`` with a 4xx status.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, NoReturn, TypeVar, cast

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import inspect
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

from config.settings import Settings
from shopcore.auth import authenticate_token
from shopcore.db import Database, utcnow
from shopcore.transactions import run_in_transaction
from shopcore.values import MAX_QUANTITY

T = TypeVar("T")
log = logging.getLogger(__name__)

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_BODY_BYTES = 1024 * 1024
# Ids are INTEGER columns: a larger one cannot exist.
MAX_ID = MAX_QUANTITY
# A token's last use is written at most this often, so reads stay reads.
LAST_USED_PRECISION = timedelta(minutes=1)
# Endpoints anyone may call.
PUBLIC = {"api.openapi"}


class ApiError(Exception):
    """An answer that is an error: its status, code, message and details."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": code, "message": message, **details}


def fail(status: int, code: str, message: str, **details: Any) -> NoReturn:
    raise ApiError(status, code, message, **details)


def database() -> Database:
    return cast(Database, current_app.extensions["shopcore.db"])


def settings() -> Settings:
    return cast(Settings, current_app.config["SHOPCORE"])


def db_session() -> Session:
    """The request's session for reads; writes go through ``run``."""
    if "api_session" not in g:
        g.api_session = database().sessions()
    return cast(Session, g.api_session)


def token_id() -> int:
    return cast(int, g.api_token_id)


def run(work: Callable[[Session], T], *, attempts: int = 3) -> T:
    """Run ``work`` in its own committed transaction, again after a lost insert race.

    A unique violation means a concurrent request inserted the same row (a customer's email,
    a cart) first; once it has committed, running again finds that row instead.
    """
    for attempt in range(1, attempts + 1):
        try:
            return run_in_transaction(database(), work)
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def read_json() -> Any:
    """The request body as JSON (decimals exact), or an ApiError saying what is wrong."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        fail(415, "unsupported_media_type", "send the body as application/json")
    text = _body_text()
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        fail(400, "invalid_json", f"the body is not valid JSON: {_reason(e)}")
    _check_text(value)
    return value


def canonical_json() -> str:
    """The request body as canonical JSON (sorted keys, no spaces), for comparing requests."""
    value = json.loads(_body_text())
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def query_int(name: str, *, default: int | None, minimum: int, maximum: int) -> int | None:
    """An integer query parameter in [minimum, maximum], or ``default`` when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        fail(422, "invalid_parameter", f"{name} must be a whole number", parameter=name)
    number = int(text)
    if not minimum <= number <= maximum:
        message = f"{name} must be between {minimum} and {maximum}"
        fail(422, "invalid_parameter", message, parameter=name)
    return number


def query_text(name: str, *, max_length: int = 200) -> str | None:
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return None
    if len(raw) > max_length:
        message = f"{name} must be at most {max_length} characters"
        fail(422, "invalid_parameter", message, parameter=name)
    return raw.strip()


@blueprint.before_request
def _guard() -> None:
    request.max_content_length = MAX_BODY_BYTES
    if "\x00" in request.path or any("\x00" in k + v for k, v in request.args.items(multi=True)):
        fail(400, "bad_request", "the URL may not contain NUL characters")
    if request.endpoint in PUBLIC:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        fail(401, "unauthorized", "send an API token as 'Authorization: Bearer <token>'")
    session = db_session()
    found = authenticate_token(session, token.strip())
    if found is None:
        fail(401, "unauthorized", "the API token is unknown or revoked")
    g.api_token_id = found.id
    _record_use(session, found)


def _record_use(session: Session, token: Any) -> None:
    """Commit the token's new last-used time when the stored one is a minute old or more."""
    before = inspect(token).attrs.last_used_at.history.deleted
    previous = before[0] if before else None
    if previous is None or utcnow() - previous >= LAST_USED_PRECISION:
        session.commit()
    else:
        session.rollback()


@blueprint.teardown_request
def _close_session(_error: BaseException | None) -> None:
    session = g.pop("api_session", None)
    if session is not None:
        session.close()


@blueprint.errorhandler(ApiError)
def _api_error(e: ApiError) -> Response:
    response = jsonify(e.body)
    response.status_code = e.status
    if e.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


@blueprint.errorhandler(DataError)
def _data_error(e: DataError) -> Response:
    """A value the database cannot hold (a total past Numeric(14, 2), say): the client's 4xx."""
    log.warning("API request refused by the database: %s", e.orig)
    message = "a value in the request (or a total it leads to) is outside what Shopcore can store"
    response = jsonify({"error": "out_of_range", "message": message})
    response.status_code = 422
    return response


@blueprint.errorhandler(HTTPException)
def _http_error(e: HTTPException) -> Response:
    return _error_response(e)


@blueprint.app_errorhandler(404)
@blueprint.app_errorhandler(405)
def _routing_error(e: HTTPException) -> Response | HTTPException:
    """Unknown URLs and methods of the API and webhooks answer in JSON; elsewhere a page."""
    if request.path.startswith(("/api/", "/webhooks/")):
        return _error_response(e)
    return e


def _error_response(e: HTTPException) -> Response:
    code = (e.name or "error").lower().replace(" ", "_").replace("'", "")
    response = jsonify({"error": code, "message": e.description or e.name})
    response.status_code = e.code or 500
    if isinstance(e, MethodNotAllowed) and e.valid_methods:
        response.headers["Allow"] = ", ".join(e.valid_methods)
    return response


def _body_text() -> str:
    data = request.get_data(cache=True)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        fail(400, "invalid_json", "the body is not valid UTF-8")


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _reason(e: BaseException) -> str:
    if isinstance(e, RecursionError):
        return "nested too deeply"
    return str(e).split("\n")[0][:200]


def _check_text(value: Any) -> None:
    """Refuse NUL characters and lone surrogates anywhere: no database can store them."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                fail(400, "invalid_json", "text may not contain NUL characters")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                fail(400, "invalid_json", "text may not contain lone surrogate escapes")
