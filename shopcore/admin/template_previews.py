"""A template rendered for a customer: the editor's preview frame, and a test send to oneself.

The preview is an email page of its own, shown in a sandboxed frame: it gets a policy that
lets its inline styles and remote images show and runs no script, and only the admin may
frame it. Rendering is bounded by the sandbox's budget; previews are also limited per user.
"""

from __future__ import annotations

import logging
from typing import cast

from flask import abort, current_app, render_template, request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from retention.delivery import DeliveryError, UnsendableEmail
from retention.emails import CompiledTemplate, TemplateError, compile_template
from retention.models import EmailTemplate
from retention.template_store import compiled
from shopcore.admin.access import current_user, requires
from shopcore.admin.base import blueprint, db_session, run, settings
from shopcore.admin.email_templates import TEMPLATE, draft_text, editor_page
from shopcore.admin.preview_choice import PreviewChoice, read_choice
from shopcore.admin.template_queries import (
    find_version,
    newest_version,
    template_kind,
    triggers_using,
)
from shopcore.admin.template_samples import render_sample, sample_customer, send_test
from shopcore.admin.throttle import MemoryCounter
from shopcore.enums import Role
from shopcore.models import Customer

log = logging.getLogger(__name__)

# The email as a mail client would show it: its own styles and images, no scripts, no forms.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline' https:; img-src https: http: data:; "
    "font-src https: data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)
# An error shown in the frame instead: the admin's own stylesheet.
ERROR_POLICY = "default-src 'none'; style-src 'self'; frame-ancestors 'self'; sandbox"
PREVIEWS_PER_MINUTE = 120
_COUNTER = "shopcore.preview_counter"


@blueprint.route(f"{TEMPLATE}/preview", methods=["GET", "POST"])
@requires(Role.VIEWER)
def template_preview(template_id: int) -> Response:
    """The email for the editor's frame: a saved version (GET) or the posted draft (POST)."""
    found = _template(template_id)
    if not _may_preview():
        return _error_frame("Too many previews in a minute; wait a moment.", status=429)
    db = db_session()
    choice = read_choice(db, request.values, kind=template_kind(triggers_using(db, template_id)))
    if not choice.form.ok:
        return _error_frame(" ".join(choice.form.errors.values()), status=422)
    try:
        source = _draft() if request.method == "POST" else _saved(found)
        shown = render_sample(db, settings(), source, choice.customer, choice.kind)
    except TemplateError as e:
        return _error_frame(e.message, line=e.line, status=422)
    return _frame(shown.email.html, PREVIEW_POLICY, 200)


@blueprint.post(f"{TEMPLATE}/test-send")
@requires(Role.MANAGER)
def template_test_send(template_id: int) -> tuple[str, int]:
    """Send the editor's text (else the newest version) to oneself, rendered for the customer."""
    found = _template(template_id)
    posted = draft_text() if request.form.get("mjml", "").strip() else None
    user = current_user()
    if not _may_preview() or user is None:
        return editor_page(found, draft=posted, notice=("error", "Too many previews; wait."))
    db = db_session()
    choice = read_choice(db, request.form, kind=template_kind(triggers_using(db, template_id)))
    try:
        source = compile_template(posted) if posted is not None else _saved(found)
        _send(source, choice, user.email)
    except TemplateError as e:
        return editor_page(found, draft=posted, error=e)
    except (UnsendableEmail, DeliveryError) as e:
        return editor_page(found, draft=posted, notice=("error", f"Not sent: {e}"))
    log.info("%s sent a test of template %s", user.email, found.name)
    where = "" if settings().smtp_url else " (kept in the outbox: no SMTP relay is set)"
    return editor_page(found, draft=posted, notice=("ok", f"Test sent to {user.email}{where}."))


def _send(source: CompiledTemplate, choice: PreviewChoice, to: str) -> None:
    customer_id = choice.customer.id

    def work(session: Session) -> None:
        customer = session.get(Customer, customer_id) if customer_id else None
        shown = render_sample(
            session, settings(), source, customer or sample_customer(), choice.kind
        )
        send_test(session, settings(), shown.email, to=to, kind=choice.kind)

    run(work)


def _template(template_id: int) -> EmailTemplate:
    found = db_session().get(EmailTemplate, template_id)
    if found is None:
        abort(404)
    return found


def _draft() -> CompiledTemplate:
    return compile_template(draft_text())


def _saved(found: EmailTemplate) -> CompiledTemplate:
    """The version asked for (``?version=``), else the newest; 404 when there is none."""
    db = db_session()
    number = request.args.get("version", type=int)
    version = (
        find_version(db, found.id, number)
        if number is not None and 0 < number < 2**31
        else newest_version(db, found.id)
    )
    if version is None:
        abort(404)
    return compiled(version)


def _may_preview() -> bool:
    """Count this preview against the user's limit; False once they are past it."""
    user = current_user()
    key = f"preview:{user.id if user else request.remote_addr}"
    counter = cast(MemoryCounter, current_app.extensions.setdefault(_COUNTER, MemoryCounter()))
    count, _left = counter.count(key)
    if count >= PREVIEWS_PER_MINUTE:
        return False
    counter.add(key, 60)
    return True


def _frame(html: str, policy: str, status: int) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _error_frame(message: str, *, line: int | None = None, status: int) -> Response:
    page = render_template("template_preview_error.html", message=message, line=line)
    return _frame(page, ERROR_POLICY, status)
