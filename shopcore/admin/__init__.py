"""The web admin: login, the store at a glance, and customers with their merged history."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from shopcore.admin import queries
from shopcore.auth import authenticate_user
from shopcore.db import Database
from shopcore.models import AdminUser

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
root = Blueprint("root", __name__)
View = TypeVar("View", bound=Callable[..., Any])
PAGE_SIZE = 50


def _db() -> Database:
    return cast(Database, current_app.extensions["shopcore.db"])


def _db_session() -> Session:
    if "db_session" not in g:
        g.db_session = _db().sessions()
    return cast(Session, g.db_session)


@blueprint.teardown_app_request
def _close_session(_error: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return cast(str, session["csrf"])


@blueprint.before_request
def _check_csrf() -> None:
    if request.method == "POST":
        expected = session.get("csrf", "")
        if not expected or not secrets.compare_digest(request.form.get("csrf", ""), expected):
            abort(400, "the form expired; reload the page and try again")


@blueprint.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "current_user": g.get("user")}


def login_required(view: View) -> View:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user_id = session.get("user_id")
        user = _db_session().get(AdminUser, user_id) if user_id else None
        if user is None:
            return redirect(url_for("admin.login", next=request.path))
        g.user = user
        return view(*args, **kwargs)

    return cast(View, wrapped)


@root.get("/")
def index() -> Response:
    """Send visitors to the admin."""
    return redirect(url_for("admin.overview"))


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Sign in with a user made by ``shopcore users create``."""
    error = None
    if request.method == "POST":
        db_session = _db_session()
        user = authenticate_user(
            db_session, request.form.get("email", ""), request.form.get("password", "")
        )
        if user is not None:
            db_session.commit()
            session.clear()
            session["user_id"] = user.id
            target = request.args.get("next", "")
            safe = target.startswith("/admin") and not target.startswith("//")
            return redirect(target if safe else url_for("admin.overview"))
        error = "Unknown email or wrong password."
    return render_template("login.html", error=error)


@blueprint.post("/logout")
def logout() -> Response:
    """Sign out."""
    session.clear()
    return redirect(url_for("admin.login"))


@blueprint.get("/")
@login_required
def overview() -> str:
    """The store at a glance: orders, revenue and customers per channel."""
    db_session = _db_session()
    return render_template(
        "overview.html",
        channels=queries.channel_totals(db_session),
        customers=queries.customer_counts(db_session),
    )


@blueprint.get("/customers")
@login_required
def customers() -> str:
    """Customers, searchable by name, email or phone."""
    q = request.args.get("q", "").strip()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    db_session = _db_session()
    rows, more = queries.find_customers(db_session, q, page, PAGE_SIZE)
    channels = queries.channels_of(db_session, [c.id for c in rows])
    return render_template(
        "customers.html", rows=rows, channels=channels, q=q, page=page, more=more
    )


@blueprint.get("/customers/<int:customer_id>")
@login_required
def customer(customer_id: int) -> str:
    """One customer: merged identities and the orders of every channel."""
    db_session = _db_session()
    found = queries.customer_with_identities(db_session, customer_id)
    if found is None:
        abort(404)
    orders = queries.orders_of(db_session, customer_id, limit=200)
    return render_template("customer.html", customer=found, orders=orders)
