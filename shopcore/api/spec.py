"""The OpenAPI 3.1 document of the HTTP interface, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from shopcore.api.base import MAX_BODY_BYTES, MAX_ID, blueprint
from shopcore.api.schemas import SCHEMAS, Schema, ref
from shopcore.idempotency import MAX_KEY_LENGTH

VERSION = "1.0.0"
ERRORS = {
    400: ("the body is not JSON (or not UTF-8, or holds NUL characters)", "Error"),
    401: ("no valid bearer token; the answer carries WWW-Authenticate: Bearer", "Error"),
    404: ("no such order, customer, product or warehouse", "Error"),
    409: ("the request conflicts with the order's state", "Error"),
    413: (f"the body is larger than {MAX_BODY_BYTES} bytes", "Error"),
    415: ("the body is not sent as application/json", "Error"),
    422: ("invalid fields or parameters, listed", "InvalidFields"),
}


def _json(schema: Schema, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def _responses(ok: dict[int | str, dict[str, Any]], *errors: int) -> dict[str, Any]:
    answers: dict[str, Any] = {str(status): answer for status, answer in ok.items()}
    for status in (400, 401, *errors):
        description, schema = ERRORS[status]
        answers.setdefault(str(status), _json(ref(schema), description))
    return answers


def _body(schema: str, example: dict[str, Any]) -> dict[str, Any]:
    content = {"schema": ref(schema), "example": example}
    return {"required": True, "content": {"application/json": content}}


ORDER_EXAMPLE = {
    "external_id": "A-1001",
    "channel": "online",
    "placed_at": "2026-12-01T10:00:00Z",
    "currency": "EUR",
    "customer": {
        "email": "ann@example.com",
        "phone": "+4915112345678",
        "first_name": "Ann",
        "last_name": "Lee",
        "company": None,
        "accepts_marketing": True,
    },
    "lines": [{"sku": "TEA-001", "quantity": 2, "unit_price": "4.50"}],
    "shipping_address": {"country": "DE", "city": "Berlin", "postcode": "10115"},
    "warehouse": None,
}
EVENT_EXAMPLE = {
    "type": "cart_updated",
    "occurred_at": "2026-12-01T10:00:00Z",
    "cart_id": "c-77",
    "customer": {"email": "ann@example.com", "phone": None, "accepts_marketing": True},
    "items": [{"sku": "TEA-001", "quantity": 1, "unit_price": "4.50"}],
}


def _id(name: str, what: str) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": what,
        "example": 1,
    }


def _query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


SKU = {
    "name": "sku",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
    "example": "TEA-001",
}
LIMIT = {"type": "integer", "minimum": 1, "maximum": 100}
ORDER_ID = _id("id", "the order's id")
ORDER = _json(ref("Order"), "the order with its lines, statuses and allocations")
ORDER_409 = _json(
    ref("Error"),
    "invalid_transition: the order's status does not allow it",
)

PATHS: dict[str, Any] = {
    "/api/v1/orders": {
        "post": {
            "operationId": "placeOrder",
            "summary": "Place an order, allocated all-or-nothing",
            "description": (
                "Allocates every line or nothing. With an Idempotency-Key, the first answer "
                "(201 or 409) is kept: the same key with the same body (compared as canonical "
                "JSON) replays it exactly, with Idempotent-Replayed: true; the same key with "
                "another body is refused (422 idempotency_key_reused). 422 answers are not "
                "kept: fix the body and send it again with the same key. Unknown SKUs and "
                "warehouses are invalid fields (422)."
            ),
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "pattern": f"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"},
                }
            ],
            "requestBody": _body("CanonicalOrder", ORDER_EXAMPLE),
            "responses": _responses(
                {
                    201: _json(
                        ref("OrderPlaced"),
                        "placed and allocated",
                        headers={"Location": {"schema": {"type": "string"}}},
                    ),
                    409: _json(
                        {"anyOf": [ref("InsufficientStock"), ref("OrderExists")]},
                        "insufficient_stock (nothing allocated) or order_exists (its id)",
                    ),
                },
                413,
                415,
                422,
            ),
        },
        "get": {
            "operationId": "listOrders",
            "summary": "Orders by source, external id and channel, in id order",
            "parameters": [
                _query(
                    "source", {"type": "string", "maxLength": 64}, "the source's name, e.g. api"
                ),
                _query("external_id", {"type": "string", "maxLength": 64}, "the source's order id"),
                _query(
                    "channel", {"type": "string", "enum": ["online", "retail", "wholesale"]}, ""
                ),
                _query("limit", LIMIT, "page size, 50 by default"),
                _query(
                    "after_id",
                    {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                    "next_after_id of the page before",
                ),
            ],
            "responses": _responses({200: _json(ref("OrderPage"), "a page of orders")}, 422),
        },
    },
    "/api/v1/orders/{id}": {
        "get": {
            "operationId": "getOrder",
            "summary": "One order",
            "parameters": [ORDER_ID],
            "responses": _responses({200: ORDER}, 404),
        }
    },
    "/api/v1/orders/{id}/cancel": {
        "post": {
            "operationId": "cancelOrder",
            "summary": "Cancel an order that has not shipped, releasing its stock",
            "parameters": [ORDER_ID],
            "responses": _responses({200: ORDER, 409: ORDER_409}, 404),
        }
    },
    "/api/v1/orders/{id}/ship": {
        "post": {
            "operationId": "shipOrder",
            "summary": "Ship an allocated order",
            "parameters": [ORDER_ID],
            "responses": _responses({200: ORDER, 409: ORDER_409}, 404),
        }
    },
    "/api/v1/stock/{sku}": {
        "get": {
            "operationId": "getStock",
            "summary": "A SKU's stock per warehouse",
            "parameters": [SKU],
            "responses": _responses({200: _json(ref("Stock"), "the SKU's stock")}, 404),
        }
    },
    "/api/v1/stock/{sku}/{warehouse}": {
        "put": {
            "operationId": "setStock",
            "summary": "Record a counted quantity (a movement is written)",
            "description": (
                "Orders waiting for the SKU are allocated from what the count frees. A count "
                "below what is allocated is refused (422 below_allocated)."
            ),
            "parameters": [
                SKU,
                {
                    "name": "warehouse",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
                    "example": "FC-N",
                },
            ],
            "requestBody": _body("StockCount", {"on_hand": 12}),
            "responses": _responses(
                {200: _json(ref("Stock"), "the SKU's stock after the count")}, 404, 413, 415, 422
            ),
        }
    },
    "/api/v1/customers/{id}": {
        "get": {
            "operationId": "getCustomer",
            "summary": "A customer with the order history of every channel, newest first",
            "parameters": [
                _id("id", "the customer's id"),
                _query("limit", LIMIT, "orders per page, 20 by default"),
                _query(
                    "cursor", {"type": "string", "maxLength": 200}, "next_cursor of the page before"
                ),
            ],
            "responses": _responses({200: _json(ref("Customer"), "the customer")}, 404, 422),
        }
    },
    "/api/v1/events": {
        "post": {
            "operationId": "postEvent",
            "summary": "Storefront behaviour: cart updates, checkouts, product views",
            "requestBody": _body("Event", EVENT_EXAMPLE),
            "responses": _responses({202: _json(ref("EventAccepted"), "accepted")}, 413, 415, 422),
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "the OpenAPI document")},
        }
    },
    "/healthz": {
        "get": {
            "operationId": "health",
            "summary": "The state of the database and the queue",
            "security": [],
            "responses": {
                "200": _json(ref("Health"), "both are up"),
                "503": _json(
                    ref("Health"), "the database or the queue is down, or the schema is behind"
                ),
            },
        }
    },
    "/webhooks/{source}": {
        "post": {
            "operationId": "receiveWebhook",
            "summary": "A store's webhook, in its platform's native body and signature",
            "description": (
                "shopify: X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body), topic in "
                "X-Shopify-Topic, deduplicated on X-Shopify-Webhook-Id. woocommerce: "
                "X-WC-Webhook-Signature, topic in X-WC-Webhook-Topic. generic: "
                'X-Shopcore-Signature t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">, '
                "300 s tolerance, body "
                '{"type": "order"|"event", "data": {...}} in the canonical shapes. '
                "Accepted only after the order is committed; the same delivery again is a 200."
            ),
            "security": [],
            "parameters": [
                {"name": "source", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": {
                "2XX": {"description": "accepted (or a repeat, or a topic that is ignored)"},
                "400": _json(
                    ref("Error"), "signed, but unreadable: kept as a rejected delivery for replay"
                ),
                "401": _json(ref("Error"), "bad or missing signature: nothing stored"),
                "404": _json(ref("Error"), "no such source"),
            },
        }
    },
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Shopcore API",
            "version": VERSION,
            "description": (
                "Orders from every channel in one history, allocated against stock in several "
                'warehouses. All JSON; errors are {"error": CODE, "message": TEXT, ...} with a '
                "4xx status. Money is a decimal string."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
    }


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document of the API (no token needed)."""
    return jsonify(document())
