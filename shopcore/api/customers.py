"""``/api/v1/customers``: one customer with the unified order history of every channel."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from shopcore.api.base import MAX_ID, blueprint, db_session, fail, query_int, query_text
from shopcore.api.documents import (
    customer_channels,
    customer_document,
    order_documents,
)
from shopcore.models import Customer, Order

DEFAULT_PAGE = 20
MAX_PAGE = 100


@blueprint.get(f"/customers/<int(max={MAX_ID}):customer_id>")
def get_customer(customer_id: int) -> dict[str, Any]:
    """A customer with identities, consent, aggregates and orders of all channels, newest first."""
    limit = query_int("limit", default=DEFAULT_PAGE, minimum=1, maximum=MAX_PAGE) or DEFAULT_PAGE
    after = _cursor(query_text("cursor"))
    session = db_session()
    customer = session.scalar(
        select(Customer)
        .where(Customer.id == customer_id)
        .options(selectinload(Customer.identities))
    )
    if customer is None:
        fail(404, "not_found", f"no customer {customer_id}")
    query = select(Order).where(Order.customer_id == customer_id)
    if after is not None:
        placed_at, order_id = after
        query = query.where(
            or_(
                Order.placed_at < placed_at,
                and_(Order.placed_at == placed_at, Order.id < order_id),
            )
        )
    orders = list(
        session.scalars(
            query.options(selectinload(Order.lines), selectinload(Order.source))
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(limit + 1)
        )
    )
    page = orders[:limit]
    return {
        **customer_document(customer, customer_channels(session, customer_id)),
        "orders": order_documents(session, page),
        "next_cursor": _next_cursor(page[-1]) if len(orders) > limit else None,
    }


def _next_cursor(order: Order) -> str:
    text = f"{order.placed_at.astimezone(UTC).isoformat()}|{order.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _cursor(text: str | None) -> tuple[datetime, int] | None:
    """The (placed_at, id) a page continues after, from the opaque ``cursor`` parameter."""
    if text is None:
        return None
    try:
        return _decode(text)
    except (ValueError, OverflowError):
        fail(422, "invalid_parameter", "cursor is not one this API gave out", parameter="cursor")


def _decode(text: str) -> tuple[datetime, int]:
    # binascii.Error and UnicodeDecodeError are ValueErrors too.
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    when, _, order_id = raw.partition("|")
    placed_at, number = datetime.fromisoformat(when), int(order_id)
    if placed_at.tzinfo is None or not 0 < number <= MAX_ID:
        raise ValueError("not a cursor")
    return placed_at.astimezone(UTC), number
