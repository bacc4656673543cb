"""Customers with their merged history."""

from __future__ import annotations

from flask import abort, render_template, request

from shopcore.admin import queries
from shopcore.admin.access import requires
from shopcore.admin.base import MAX_ID, PAGE_SIZE, blueprint, db_session
from shopcore.enums import Role

MAX_PAGE = 10_000
MAX_QUERY = 200


@blueprint.get("/customers")
@requires(Role.VIEWER)
def customers() -> str:
    """Customers, searchable by name, email or phone."""
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    db = db_session()
    rows, more = queries.find_customers(db, q, page, PAGE_SIZE)
    channels = queries.channels_of(db, [c.id for c in rows])
    return render_template(
        "customers.html", rows=rows, channels=channels, q=q, page=page, more=more
    )


@blueprint.get(f"/customers/<int(max={MAX_ID}):customer_id>")
@requires(Role.VIEWER)
def customer(customer_id: int) -> str:
    """One customer: identities, orders of every channel, RFM, segment moves and emails."""
    db = db_session()
    found = queries.customer_with_identities(db, customer_id)
    if found is None:
        abort(404)
    return render_template(
        "customer.html",
        customer=found,
        orders=queries.orders_of(db, customer_id, limit=200),
        moves=queries.segment_moves_of(db, customer_id, limit=20),
        messages=queries.messages_of(db, customer_id, limit=50),
    )
