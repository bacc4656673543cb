"""``/api/v1/orders``: placing orders (idempotently), reading, listing, cancelling, shipping."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, NoReturn

from flask import Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.allocation import InsufficientStock
from shopcore.api.base import (
    MAX_ID,
    blueprint,
    canonical_json,
    database,
    db_session,
    fail,
    query_int,
    query_text,
    read_json,
    run,
    settings,
    token_id,
)
from shopcore.api.documents import load_order, order_documents
from shopcore.canonical import CanonicalOrder, FieldError, InvalidOrder, parse_order
from shopcore.enums import Channel, Platform
from shopcore.idempotency import MAX_KEY_LENGTH, Answer, KeyReused, answer_once, request_hash
from shopcore.models import Order, Source
from shopcore.ordering import (
    InvalidTransition,
    OrderExists,
    OrderNotFound,
    UnknownSkus,
    allocations_of,
    cancel_order,
    place_order,
    ship_order,
)
from shopcore.orders import UnknownWarehouse, get_or_create_source

API_SOURCE = "api"
DEFAULT_PAGE = 50
MAX_PAGE = 100


@blueprint.post("/orders")
def create_order() -> tuple[Response, int]:
    """Place an order, allocated all-or-nothing; a known Idempotency-Key replays its answer."""
    key = _idempotency_key()
    body = read_json()
    region = settings().phone_region

    def work(session: Session) -> Answer:
        return _place(session, body, region)

    if key is None:
        answer = run(work)
    else:
        try:
            answer = answer_once(
                database(),
                work,
                token_id=token_id(),
                key=key,
                fingerprint=request_hash(canonical_json()),
            )
        except KeyReused as e:
            fail(422, "idempotency_key_reused", str(e))
    response = jsonify(answer.body)
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if answer.status == 201:
        response.headers["Location"] = f"{blueprint.url_prefix}/orders/{answer.body['id']}"
    return response, answer.status


@blueprint.get(f"/orders/<int(max={MAX_ID}):order_id>")
def get_order(order_id: int) -> dict[str, Any]:
    """One order with its lines, statuses and allocations."""
    document = load_order(db_session(), order_id)
    if document is None:
        fail(404, "not_found", f"no order {order_id}")
    return document


@blueprint.get("/orders")
def list_orders() -> dict[str, Any]:
    """Orders by source, external id and channel, in id order, a page at a time."""
    limit = query_int("limit", default=DEFAULT_PAGE, minimum=1, maximum=MAX_PAGE) or DEFAULT_PAGE
    after_id = query_int("after_id", default=0, minimum=0, maximum=MAX_ID) or 0
    query = select(Order).where(Order.id > after_id)
    if (source := query_text("source", max_length=64)) is not None:
        query = query.join(Source).where(Source.name == source)
    if (external_id := query_text("external_id", max_length=64)) is not None:
        query = query.where(Order.external_id == external_id)
    if (channel := query_text("channel")) is not None:
        query = query.where(Order.channel == _channel(channel))
    session = db_session()
    orders = list(
        session.scalars(
            query.options(selectinload(Order.lines), selectinload(Order.source))
            .order_by(Order.id)
            .limit(limit + 1)
        )
    )
    page = orders[:limit]
    more = len(orders) > limit
    return {
        "orders": order_documents(session, page),
        "next_after_id": page[-1].id if more else None,
    }


@blueprint.post(f"/orders/<int(max={MAX_ID}):order_id>/cancel")
def cancel(order_id: int) -> dict[str, Any]:
    """Cancel an order that has not shipped; its stock goes back to waiting orders."""
    _transition(lambda session: cancel_order(session, order_id))
    return get_order(order_id)


@blueprint.post(f"/orders/<int(max={MAX_ID}):order_id>/ship")
def ship(order_id: int) -> dict[str, Any]:
    """Ship an allocated order: its units leave the warehouses."""
    _transition(lambda session: ship_order(session, order_id))
    return get_order(order_id)


def _place(session: Session, body: Any, region: str | None) -> Answer:
    """Parse and place one order; 409 answers are returned (and kept), 422s raised."""
    order = _parse(body)
    try:
        with session.begin_nested():
            source = get_or_create_source(session, API_SOURCE, Platform.API)
            placed = place_order(session, order, source=source, region=region)
    except InsufficientStock as e:
        shortages = [asdict(s) for s in e.shortages]
        message = f"not enough stock: {e}"
        return Answer(
            409, {"error": "insufficient_stock", "message": message, "shortages": shortages}
        )
    except OrderExists as e:
        message = f"order {order.external_id} ({order.channel.value}) exists as {e.order_id}"
        return Answer(409, {"error": "order_exists", "message": message, "id": e.order_id})
    except UnknownSkus as e:
        unknown = set(e.skus)
        fields = [
            FieldError(f"lines[{i}].sku", f"no product has SKU {line.sku!r}")
            for i, line in enumerate(order.lines)
            if line.sku in unknown
        ]
        _invalid(fields)
    except UnknownWarehouse:
        _invalid([FieldError("warehouse", f"no warehouse has code {order.warehouse!r}")])
    body = {
        "id": placed.id,
        "status": placed.status.value,
        "allocations": allocations_of(session, placed.id),
    }
    return Answer(201, body)


def _parse(body: Any) -> CanonicalOrder:
    try:
        return parse_order(body)
    except InvalidOrder as e:
        _invalid(e.errors)


def _invalid(errors: list[FieldError]) -> NoReturn:
    fields = [{"field": e.field, "message": e.message} for e in errors]
    message = "; ".join(str(e) for e in errors)
    fail(422, "invalid_order", message, fields=fields)


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in key):
        message = f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"
        fail(422, "invalid_idempotency_key", message)
    return key


def _channel(text: str) -> Channel:
    try:
        return Channel(text.lower())
    except ValueError:
        names = ", ".join(c.value for c in Channel)
        fail(422, "invalid_parameter", f"channel must be one of {names}", parameter="channel")


def _transition(change: Any) -> None:
    try:
        run(change)
    except OrderNotFound as e:
        fail(404, "not_found", str(e))
    except InvalidTransition as e:
        fail(409, "invalid_transition", str(e))
