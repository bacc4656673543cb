"""Sources (admins only): the stores sending webhooks, their URLs, and adding one."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from shopcore.admin.access import current_user, requires
from shopcore.admin.base import PAGE_SIZE, blueprint, db_session, run, settings
from shopcore.admin.forms import Form
from shopcore.admin.paging import keyset_page, text_cursor
from shopcore.enums import WEBHOOK_PLATFORMS, Platform, Role
from shopcore.models import Source
from shopcore.sources import NAME, InvalidSource, SourceExists, add_source

log = logging.getLogger(__name__)

MAX_SECRET = 255


@blueprint.route("/sources", methods=["GET", "POST"])
@requires(Role.ADMIN)
def sources() -> tuple[str, int] | Response:
    """Where orders come from, the webhook URL to give each store, and a form to add one."""
    form = Form(request.form if request.method == "POST" else {})
    if request.method == "POST":
        added = _add(form)
        if added is not None:
            flash(f"Source {added} added; give its store the webhook URL below.", "ok")
            return redirect(url_for("admin.sources"))
    page = keyset_page(db_session(), select(Source), Source.name, text_cursor(), size=PAGE_SIZE)
    html = render_template(
        "sources.html",
        page=page,
        form=form,
        base_url=settings().base_url.rstrip("/"),
        webhook_platforms=WEBHOOK_PLATFORMS,
        platform_options=[(p.value, p.value) for p in WEBHOOK_PLATFORMS],
    )
    return html, 200 if form.ok else 422


def _add(form: Form) -> str | None:
    """Add the source the form describes; its name, or None with the form's errors set."""
    name = form.text("name", max_length=64, required=True)
    if name and not NAME.fullmatch(name):
        form.error(
            "name", "Letters, digits, '.', '_' and '-' only, starting with a letter or digit."
        )
    platform = form.choice("platform", Platform, required=True)
    if platform is not None and platform not in WEBHOOK_PLATFORMS:
        form.error("platform", "Choose shopify, woocommerce or generic.")
    # Taken out of the form, so a page showing the form again never echoes it.
    secret = form.raw.pop("secret", "").strip()
    if not secret:
        form.error("secret", "Required: the secret the store signs its webhooks with.")
    elif len(secret) > MAX_SECRET:
        form.error("secret", f"At most {MAX_SECRET} characters.")
    if not form.ok or name is None or platform is None:
        return None
    try:
        run(lambda session: add_source(session, name, platform=platform, secret=secret))
    except SourceExists:
        form.error("name", "A source with this name exists.")
        return None
    except InvalidSource as e:
        form.error("name", str(e))
        return None
    user = current_user()
    log.info("%s added source %s (%s)", user.email if user else "?", name, platform.value)
    return name
