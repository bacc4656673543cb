"""API tokens (admins only): when each was made and last used, creating one, revoking one."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from shopcore.admin.access import current_user, requires
from shopcore.admin.base import MAX_ID, PAGE_SIZE, blueprint, db_session, run
from shopcore.admin.forms import Form
from shopcore.admin.paging import int_cursor, keyset_page
from shopcore.auth import TokenNotFound, create_token, revoke_token
from shopcore.enums import Role
from shopcore.models import ApiToken

log = logging.getLogger(__name__)


@blueprint.route("/tokens", methods=["GET", "POST"])
@requires(Role.ADMIN)
def tokens() -> tuple[str, int]:
    """API tokens, newest first, and a form to create one (shown once, on this answer only)."""
    form = Form(request.form if request.method == "POST" else {})
    created = None
    if request.method == "POST":
        name = form.text("name", max_length=100, required=True)
        if name is not None:
            created = run(lambda session: create_token(session, name))
            user = current_user()
            log.info("%s created API token %r", user.email if user else "?", name)
            form = Form({})
    query = select(ApiToken)
    page = keyset_page(
        db_session(), query, ApiToken.id, int_cursor(), size=PAGE_SIZE, descending=True
    )
    html = render_template("tokens.html", page=page, form=form, created=created)
    return html, 200 if form.ok else 422


@blueprint.post(f"/tokens/<int(max={MAX_ID}):token_id>/revoke")
@requires(Role.ADMIN)
def revoke_api_token(token_id: int) -> Response:
    """Refuse the token from now on."""
    try:
        token = run(lambda session: revoke_token(session, token_id))
    except TokenNotFound:
        abort(404)
    user = current_user()
    log.info("%s revoked API token %s (%s)", user.email if user else "?", token_id, token.prefix)
    flash(f"Token {token.prefix}… ({token.name}) is revoked: the API refuses it from now on.", "ok")
    return redirect(url_for("admin.tokens"))
