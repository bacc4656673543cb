"""``/api/v1/events``: storefront behaviour for the abandoned-cart and browse triggers."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from shopcore.api.base import blueprint, fail, read_json, run, settings
from shopcore.api.documents import money
from shopcore.carts import record_cart
from shopcore.enums import Platform
from shopcore.events import CART_EVENTS, InvalidEvent, parse_event
from shopcore.orders import get_or_create_source

STOREFRONT_SOURCE = "storefront"


@blueprint.post("/events")
def post_event() -> tuple[Response, int]:
    """Record a storefront event; 202 once it is stored (product views: validated only, for now).

    ``cart_updated`` and ``checkout_started`` update the storefront cart. ``product_viewed``
    is accepted and not stored yet: browse events get their table with the retention work.
    """
    try:
        event = parse_event(read_json())
    except InvalidEvent as e:
        fields = [{"field": x.field, "message": x.message} for x in e.errors]
        fail(422, "invalid_event", str(e), fields=fields)
    answer: dict[str, Any] = {"type": event.type.value, "recorded": False, "cart": None}
    if event.type in CART_EVENTS:
        region = settings().phone_region

        def work(session: Session) -> dict[str, Any]:
            source = get_or_create_source(session, STOREFRONT_SOURCE, Platform.API)
            cart = record_cart(session, event.cart(), source=source, region=region)
            return {
                "cart_id": cart.external_id,
                "status": cart.status.value,
                "customer_id": cart.customer_id,
                "currency": cart.currency,
                "total": money(cart.total),
            }

        answer.update(recorded=True, cart=run(work))
    return jsonify(answer), 202
