"""Admin logins (admins only): who may sign in with which role, and adding one."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from shopcore.admin.access import current_user, requires
from shopcore.admin.base import PAGE_SIZE, blueprint, db_session, run
from shopcore.admin.forms import Form
from shopcore.admin.paging import keyset_page, text_cursor
from shopcore.auth import UserExists, create_user
from shopcore.enums import Role
from shopcore.identity import normalize_email
from shopcore.models import AdminUser

log = logging.getLogger(__name__)

MIN_PASSWORD = 8
MAX_PASSWORD = 1024


@blueprint.route("/users", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users() -> tuple[str, int] | Response:
    """Admin logins by email, and a form to add one."""
    form = Form(request.form if request.method == "POST" else {})
    if request.method == "POST":
        created = _create(form)
        if created is not None:
            flash(f"{created} can sign in now.", "ok")
            return redirect(url_for("admin.users"))
    page = keyset_page(
        db_session(), select(AdminUser), AdminUser.email, text_cursor(), size=PAGE_SIZE
    )
    html = render_template(
        "users.html", page=page, form=form, roles_options=[(r.value, r.value) for r in Role]
    )
    return html, 200 if form.ok else 422


def _create(form: Form) -> str | None:
    """Add the user the form describes; its email, or None with the form's errors set."""
    email = form.text("email", max_length=320, required=True)
    address = normalize_email(email) if email else None
    if email and address is None:
        form.error("email", "Not an email address.")
    role = form.choice("role", Role, required=True)
    # Taken out of the form, so a page showing the form again never echoes it.
    password = form.raw.pop("password", "")
    if len(password) < MIN_PASSWORD:
        form.error("password", f"At least {MIN_PASSWORD} characters.")
    elif len(password) > MAX_PASSWORD:
        form.error("password", f"At most {MAX_PASSWORD} characters.")
    if not form.ok or address is None or role is None:
        return None
    try:
        run(lambda session: create_user(session, address, role=role, password=password))
    except UserExists:
        form.error("email", "A user with this email exists.")
        return None
    user = current_user()
    log.info("%s added %s as %s", user.email if user else "?", address, role.value)
    return address
