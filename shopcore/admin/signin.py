"""Signing in (throttled per address and email) and out."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from shopcore.admin.base import blueprint, db_session, root
from shopcore.admin.throttle import login_throttle
from shopcore.auth import authenticate_user

MAX_EMAIL = 320
MAX_PASSWORD = 1024


@root.get("/")
def index() -> Response:
    """Send visitors to the admin."""
    return redirect(url_for("admin.overview"))


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with a user made by ``shopcore users create``."""
    if request.method == "GET":
        return render_template("login.html", error=None, email=""), 200
    email = request.form.get("email", "")[:MAX_EMAIL]
    password = request.form.get("password", "")[:MAX_PASSWORD]
    ip = request.remote_addr or "unknown"
    throttle = login_throttle()
    wait = throttle.wait_seconds(ip, email)
    if wait:
        minutes = -(-wait // 60)
        error = f"Too many failed attempts. Try again in {minutes} minute{'s' * (minutes > 1)}."
        page = render_template("login.html", error=error, email=email)
        return page, 429, {"Retry-After": str(wait)}
    db = db_session()
    user = authenticate_user(db, email, password)
    if user is None:
        throttle.failed(ip, email)
        return render_template(
            "login.html", error="Unknown email or wrong password.", email=email
        ), 200
    db.commit()
    throttle.succeeded(email)
    # A new session on sign-in: nothing from before (a planted id, an old token) carries over.
    session.clear()
    session["user_id"] = user.id
    target = request.args.get("next", "")
    safe = target.startswith("/admin") and not target.startswith("//") and "\\" not in target
    return redirect(target if safe else url_for("admin.overview"))


@blueprint.post("/logout")
def logout() -> Response:
    """Sign out."""
    session.clear()
    return redirect(url_for("admin.login"))
