"""Messages: the filtered list, one message with its opens and clicks, the outbox's emails."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from sqlalchemy.orm import Session

from retention.vocabulary import MessageStatus, TriggerKind
from shopcore.admin.access import requires
from shopcore.admin.base import MAX_ID, PAGE_SIZE, blueprint, db_session, settings
from shopcore.admin.forms import Form
from shopcore.admin.message_queries import (
    MessageFilter,
    find_messages,
    find_outbox,
    kept_email,
    message_story,
)
from shopcore.admin.order_queries import customers_with_email
from shopcore.admin.outbox_preview import PREVIEW_HEADERS, inert, parse
from shopcore.admin.paging import Page, int_cursor
from shopcore.enums import Role

FILTERS = ("kind", "status", "email")


@blueprint.get("/messages")
@requires(Role.VIEWER)
def messages() -> tuple[str, int]:
    """Messages, newest first, by trigger kind, status and the customer's email."""
    form = Form(request.args)
    db = db_session()
    wanted = _read_filter(form, db)
    page = (
        find_messages(db, wanted, int_cursor(), size=PAGE_SIZE) if form.ok else Page([], None, None)
    )
    html = render_template(
        "messages.html",
        form=form,
        page=page,
        filters={name: form.raw[name] for name in FILTERS if form.raw.get(name)},
        kind_options=[(k.value, k.value.replace("_", " ")) for k in TriggerKind],
        status_options=[(s.value, s.value) for s in MessageStatus],
    )
    return html, 200 if form.ok else 422


@blueprint.get(f"/messages/<int(max={MAX_ID}):message_id>")
@requires(Role.VIEWER)
def message(message_id: int) -> str:
    """One message: where it went, what it was made from, its opens and clicks."""
    db = db_session()
    story = message_story(db, message_id)
    if story is None:
        abort(404)
    kept = kept_email(db, story.kept_id) if story.kept_id is not None else None
    parsed = parse(kept.raw) if kept is not None else None
    return render_template("message.html", story=story, parsed=parsed)


@blueprint.get("/messages/outbox")
@requires(Role.VIEWER)
def outbox() -> str:
    """Emails kept instead of sent (no SMTP relay configured), newest first."""
    page = find_outbox(db_session(), int_cursor(), size=PAGE_SIZE)
    return render_template("outbox.html", page=page, relay=bool(settings().smtp_url))


@blueprint.get(f"/messages/outbox/<int(max={MAX_ID}):outbox_id>")
@requires(Role.VIEWER)
def outbox_email(outbox_id: int) -> str:
    """One kept email: its headers, its HTML in a sandboxed frame, its plain text."""
    found = kept_email(db_session(), outbox_id)
    if found is None:
        abort(404)
    return render_template("kept_email.html", kept=found, parsed=parse(found.raw))


@blueprint.get(f"/messages/outbox/<int(max={MAX_ID}):outbox_id>/html")
@requires(Role.VIEWER)
def outbox_email_html(outbox_id: int) -> Response:
    """A kept email's HTML, inert, for the sandboxed frame of the admin's pages."""
    found = kept_email(db_session(), outbox_id)
    html = parse(found.raw).html if found is not None else None
    if html is None:
        abort(404)
    return Response(inert(html), mimetype="text/html", headers=PREVIEW_HEADERS)


def _read_filter(form: Form, db: Session) -> MessageFilter:
    email = form.text("email", max_length=320)
    customer_ids = customers_with_email(db, email) if email else None
    if email and customer_ids is None:
        form.error("email", "Not an email address.")
    return MessageFilter(
        kind=form.choice("kind", TriggerKind),
        status=form.choice("status", MessageStatus),
        customer_ids=customer_ids,
    )
