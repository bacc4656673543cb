"""Orders: the filtered list, one order's lines and stock story, cancelling and shipping."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from shopcore.admin.access import current_user, requires
from shopcore.admin.base import MAX_ID, PAGE_SIZE, blueprint, db_session, run, settings
from shopcore.admin.forms import Form
from shopcore.admin.order_queries import (
    OrderFilter,
    customers_with_email,
    find_orders,
    order_story,
    source_id,
    sources,
)
from shopcore.admin.paging import Page, int_cursor
from shopcore.enums import Channel, OrderStatus, Role
from shopcore.models import Order
from shopcore.ordering import InvalidTransition, OrderNotFound, cancel_order, ship_order
from shopcore.periods import day_end, day_start

log = logging.getLogger(__name__)

FILTERS = ("channel", "status", "source", "from", "to", "email")
# What the buttons offer; the services decide, and say why when they refuse.
CANCELLABLE = {OrderStatus.PENDING, OrderStatus.ALLOCATED, OrderStatus.AWAITING_STOCK}
SHIPPABLE = {OrderStatus.ALLOCATED}


@blueprint.get("/orders")
@requires(Role.VIEWER)
def orders() -> tuple[str, int]:
    """Orders, newest first, by channel, status, source, date placed and customer email."""
    form = Form(request.args)
    db = db_session()
    wanted = _read_filter(form, db)
    page = (
        find_orders(db, wanted, int_cursor(), size=PAGE_SIZE) if form.ok else Page([], None, None)
    )
    filters = {name: form.raw[name] for name in FILTERS if form.raw.get(name)}
    page_html = render_template(
        "orders.html",
        form=form,
        page=page,
        filters=filters,
        channel_options=[(c.value, c.value) for c in Channel],
        status_options=[(s.value, s.value.replace("_", " ")) for s in OrderStatus],
        source_options=[(s.name, s.name) for s in sources(db)],
    )
    return page_html, 200 if form.ok else 422


@blueprint.get(f"/orders/<int(max={MAX_ID}):order_id>")
@requires(Role.VIEWER)
def order(order_id: int) -> str:
    """One order: lines, allocations per warehouse, stock movements and webhook deliveries."""
    story = order_story(db_session(), order_id)
    if story is None:
        abort(404)
    status = story.order.status
    return render_template(
        "order.html",
        story=story,
        can_cancel=status in CANCELLABLE,
        can_ship=status in SHIPPABLE,
    )


@blueprint.post(f"/orders/<int(max={MAX_ID}):order_id>/cancel")
@requires(Role.MANAGER)
def cancel(order_id: int) -> Response:
    """Cancel an order that has not shipped; its stock goes to orders waiting for it."""
    return _change(order_id, cancel_order, "cancelled", "Order cancelled; its stock is free.")


@blueprint.post(f"/orders/<int(max={MAX_ID}):order_id>/ship")
@requires(Role.MANAGER)
def ship(order_id: int) -> Response:
    """Ship an allocated order: its units leave the warehouses."""
    return _change(order_id, ship_order, "shipped", "Order shipped.")


def _change(
    order_id: int, change: Callable[[Session, int], Order], verb: str, done: str
) -> Response:
    try:
        run(lambda session: change(session, order_id))
    except OrderNotFound:
        abort(404)
    except InvalidTransition as e:
        flash(f"Not {verb}: {e}.", "error")
    else:
        user = current_user()
        log.info("%s %s order %s", user.email if user else "?", verb, order_id)
        flash(done, "ok")
    return redirect(url_for("admin.order", order_id=order_id))


def _read_filter(form: Form, db: Session) -> OrderFilter:
    zone = settings().zone
    source_name = form.text("source", max_length=64)
    found_source = source_id(db, source_name) if source_name else None
    if source_name and found_source is None:
        form.error("source", "No source has that name.")
    start, end = form.day("from"), form.day("to")
    if start and end and end < start:
        form.error("to", "The end comes before the start.")
    email = form.text("email", max_length=320)
    customer_ids = customers_with_email(db, email) if email else None
    if email and customer_ids is None:
        form.error("email", "Not an email address.")
    return OrderFilter(
        channel=form.choice("channel", Channel),
        status=form.choice("status", OrderStatus),
        source_id=found_source,
        placed_from=day_start(start, zone) if start else None,
        placed_before=day_end(end, zone) if end else None,
        customer_ids=customer_ids,
    )
