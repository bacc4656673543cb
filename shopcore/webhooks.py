"""``POST /webhooks/<source>``: orders, refunds, checkouts and customers from the stores.

The order of checks is the contract: an unknown source is 404; a bad, missing or stale
signature is 401 with nothing stored; a verified delivery is always stored, and answered
2xx only once what it changed is committed, or 4xx with the reason and kept for replay.
"""

from __future__ import annotations

import time
from typing import Any, cast

from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from config.settings import Settings
from shopcore.db import Database
from shopcore.deliveries import Arrival, Receipt, Verdict, find_source, receive_delivery
from shopcore.enums import WEBHOOK_PLATFORMS
from shopcore.intake.signatures import BadSignature, verify_signature
from shopcore.intake.topics import delivery_key, delivery_topic, is_ping

blueprint = Blueprint("webhooks", __name__)

# Shopify's largest orders are well under this; anything bigger is not a store's webhook.
MAX_BODY_BYTES = 5 * 1024 * 1024
# Kept out of the stored copy: platforms do not send them, and they would be secrets.
UNKEPT_HEADERS = frozenset({"authorization", "cookie"})

Answer = tuple[dict[str, Any], int]


@blueprint.post("/webhooks/<name>")
def receive(name: str) -> Answer:
    """Take one delivery from a store: verify, record once, act, answer after commit."""
    database = cast(Database, current_app.extensions["shopcore.db"])
    settings = cast(Settings, current_app.config["SHOPCORE"])
    request.max_content_length = MAX_BODY_BYTES
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _error("too_large", f"a webhook body may be at most {MAX_BODY_BYTES} bytes", 413)
    source = find_source(database, name)
    if source is None or source.platform not in WEBHOOK_PLATFORMS:
        return _error("unknown_source", f"no webhook source named {name!r}", 404)
    if is_ping(source.platform, body):
        return {"status": "ignored", "message": "WooCommerce's set-up ping"}, 200
    headers = {k: v for k, v in request.headers.items() if k.lower() not in UNKEPT_HEADERS}
    try:
        verify_signature(source.platform, body, headers, source.secret, now=time.time())
    except BadSignature as e:
        return _error("invalid_signature", str(e), 401)
    arrival = Arrival(
        topic=delivery_topic(source.platform, headers, body),
        key=delivery_key(source.platform, headers, body),
        headers=headers,
        body=body,
    )
    return _answer(receive_delivery(database, source, arrival, region=settings.phone_region))


def _error(code: str, message: str, status: int, **details: Any) -> Answer:
    return {"error": code, "message": message, **details}, status


def _answer(receipt: Receipt) -> Answer:
    if receipt.rejection is not None:
        why = receipt.rejection
        details: dict[str, Any] = {"delivery": receipt.delivery_id}
        if why.errors:
            details["errors"] = [{"field": e.field, "message": e.message} for e in why.errors]
        return _error(why.code, why.message, why.status, **details)
    answer: dict[str, Any] = {"status": receipt.verdict.value, "delivery": receipt.delivery_id}
    if receipt.order_id is not None:
        answer["order"] = receipt.order_id
    if receipt.outcome is not None:
        answer["outcome"] = receipt.outcome
    if receipt.note is not None:
        answer["message"] = receipt.note
    created = receipt.verdict == Verdict.ACCEPTED and receipt.outcome == "created"
    return answer, 201 if created else 200
