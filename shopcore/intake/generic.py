"""The generic signed format: ``{"type": "order"|"event", "data": {...}}`` in canonical shapes.

An order's ``data`` is a canonical order that may also say its ``status`` (pending,
shipped, cancelled, refunded), whether it is a ``test`` and its ``updated_at``, which
orders its versions. An event's ``data`` is the storefront event of ``POST /api/v1/events``
(read by ``shopcore.events``): cart events keep the cart; product views are not stored yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shopcore.canonical import FieldError, InvalidOrder, parse_order
from shopcore.enums import OrderStatus
from shopcore.events import CART_EVENTS, parse_event
from shopcore.intake.payloads import Ignored, Payload, Problems, UnreadableBody
from shopcore.ordering import IncomingOrder
from shopcore.values import got, parse_timestamp

TYPES = ("order", "event")
STATUSES = {
    s.value: s
    for s in (OrderStatus.PENDING, OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED)
}


def topic_of(data: Mapping[str, Any]) -> str:
    """The delivery's topic for the record: its ``type``, or ``unknown``."""
    kind = data.get("type")
    return kind if isinstance(kind, str) and kind in TYPES else "unknown"


def read_generic(data: Mapping[str, Any]) -> Payload:
    """What a generic delivery says, by its ``type``."""
    kind, body = data.get("type"), data.get("data")
    if kind not in TYPES:
        raise UnreadableBody([FieldError("type", f"must be order or event, got {got(kind)}")])
    if not isinstance(body, Mapping):
        raise UnreadableBody([FieldError("data", "must be an object")])
    return order_from_generic(body) if kind == "order" else event_from_generic(body)


def order_from_generic(data: Mapping[str, Any]) -> IncomingOrder:
    """A canonical order with its optional status, test flag and version."""
    problems = Problems()
    status = problems.check("status", _status, data.get("status"))
    is_test = problems.check("test", _flag, data.get("test"))
    version = problems.check("updated_at", _optional_time, data.get("updated_at"))
    try:
        order = parse_order(data)
    except InvalidOrder as e:
        raise InvalidOrder(e.errors + problems.errors) from None
    if problems.errors:
        raise InvalidOrder(problems.errors)
    return IncomingOrder(order=order, status=status, is_test=is_test, version=version)


def event_from_generic(data: Mapping[str, Any]) -> Payload:
    """A cart event as the cart it leaves behind; InvalidEvent when it is not an event."""
    event = parse_event(data)
    if event.type not in CART_EVENTS:
        return Ignored("product views are not recorded yet")
    return event.cart()


def _status(value: Any) -> OrderStatus:
    if value is None:
        return OrderStatus.PENDING
    if isinstance(value, str) and value.strip().lower() in STATUSES:
        return STATUSES[value.strip().lower()]
    raise ValueError(f"must be one of {', '.join(STATUSES)}, got {got(value)}")


def _flag(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    raise ValueError(f"must be true or false, got {got(value)}")


def _optional_time(value: Any) -> Any:
    return None if value is None else parse_timestamp(value)
