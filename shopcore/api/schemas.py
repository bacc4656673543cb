"""JSON Schemas (2020-12, as OpenAPI 3.1 uses) of what the API takes and answers."""

from __future__ import annotations

from typing import Any

from retention.rfm import Segment
from shopcore.values import MAX_QUANTITY

Schema = dict[str, Any]

MONEY_TEXT = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], *, required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


TEXT: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
COUNT: Schema = {"type": "integer", "minimum": 0}
MONEY: Schema = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "examples": ["4.50"]}
TIME: Schema = {"type": "string", "format": "date-time"}
SCORE: Schema = {"type": "integer", "minimum": 1, "maximum": 5}
CHANNEL: Schema = {"type": "string", "enum": ["online", "retail", "wholesale"]}
ORDER_STATUS: Schema = {
    "type": "string",
    "enum": [
        "pending",
        "allocated",
        "awaiting_stock",
        "shipped",
        "completed",
        "cancelled",
        "refunded",
    ],
}
LINE_STATUS: Schema = {
    "type": "string",
    "enum": ["history", "allocated", "awaiting_stock", "unknown_sku", "shipped", "cancelled"],
}


def _error(code: Schema, details: dict[str, Schema] | None = None) -> Schema:
    properties = {"error": code, "message": TEXT, **(details or {})}
    return {
        "type": "object",
        "properties": properties,
        "required": ["error", "message", *(details or {})],
    }


REQUEST_MONEY: Schema = {
    "description": "a decimal amount with at most 2 places; a string keeps it exact",
    "anyOf": [
        {"type": "string", "pattern": MONEY_TEXT},
        {"type": "integer", "minimum": 0, "maximum": 999_999_999_999},
    ],
}
CANONICAL_LINE = obj(
    {
        "sku": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
        "unit_price": REQUEST_MONEY,
    }
)
CANONICAL_CUSTOMER = obj(
    {
        "email": nullable({"type": "string", "format": "email", "maxLength": 320}),
        "phone": nullable({"type": "string", "maxLength": 32}),
        "first_name": nullable({"type": "string", "maxLength": 100}),
        "last_name": nullable({"type": "string", "maxLength": 100}),
        "company": nullable({"type": "string", "maxLength": 200}),
        "accepts_marketing": nullable({"type": "boolean"}),
    },
    required=[],
)
CANONICAL_ORDER = obj(
    {
        "external_id": {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"},
                {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
            ]
        },
        "channel": CHANNEL,
        "placed_at": TIME,
        "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "examples": ["EUR"]},
        "customer": nullable(CANONICAL_CUSTOMER),
        "lines": {"type": "array", "minItems": 1, "maxItems": 200, "items": CANONICAL_LINE},
        "shipping_address": nullable(
            {
                "type": "object",
                "properties": {"country": {"type": "string", "pattern": "^[A-Za-z]{2}$"}},
                "additionalProperties": {"type": ["string", "null"], "maxLength": 500},
            }
        ),
        "warehouse": nullable({"type": "string", "maxLength": 32}),
    },
    required=["external_id", "channel", "placed_at", "currency", "lines"],
)
EVENT = obj(
    {
        "type": {"type": "string", "enum": ["cart_updated", "checkout_started", "product_viewed"]},
        "occurred_at": TIME,
        "cart_id": nullable({"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"\S"}),
        "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "default": "EUR"},
        "customer": nullable(
            obj(
                {
                    "email": nullable({"type": "string", "format": "email", "maxLength": 320}),
                    "phone": nullable({"type": "string", "maxLength": 32}),
                    "first_name": nullable({"type": "string", "maxLength": 100}),
                    "last_name": nullable({"type": "string", "maxLength": 100}),
                    "accepts_marketing": nullable({"type": "boolean"}),
                },
                required=[],
            )
        ),
        "items": {"type": "array", "maxItems": 500, "items": CANONICAL_LINE},
    },
    required=["type", "occurred_at", "items"],
)
EVENT["description"] = (
    "cart_updated and checkout_started need cart_id and record the cart (no items: emptied); "
    "product_viewed names the product(s) in items and is validated only, not stored yet."
)

ALLOCATION = obj({"sku": TEXT, "warehouse": TEXT, "quantity": {"type": "integer", "minimum": 1}})
FIELD_ERROR = obj({"field": TEXT, "message": TEXT})
ORDER_LINE = obj(
    {"sku": TEXT, "quantity": INT, "unit_price": MONEY, "total": MONEY, "status": LINE_STATUS}
)
ORDER = obj(
    {
        "id": INT,
        "external_id": TEXT,
        "source": TEXT,
        "channel": CHANNEL,
        "status": ORDER_STATUS,
        "placed_at": TIME,
        "currency": TEXT,
        "customer_id": nullable(INT),
        "warehouse": nullable(TEXT),
        "subtotal": MONEY,
        "total": MONEY,
        "is_test": {"type": "boolean"},
        "shipping_address": nullable({"type": "object"}),
        "lines": {"type": "array", "items": ref("OrderLine")},
        "allocations": {"type": "array", "items": ref("Allocation")},
        "created_at": TIME,
        "updated_at": TIME,
    }
)
STOCK = obj(
    {
        "sku": TEXT,
        "available": COUNT,
        "warehouses": {
            "type": "array",
            "items": obj({"code": TEXT, "on_hand": COUNT, "allocated": COUNT, "available": COUNT}),
        },
    }
)
CUSTOMER = obj(
    {
        "id": INT,
        "name": TEXT,
        "first_name": nullable(TEXT),
        "last_name": nullable(TEXT),
        "company": nullable(TEXT),
        "email": nullable(TEXT),
        "phone": nullable(TEXT),
        "emails": {"type": "array", "items": TEXT},
        "phones": {"type": "array", "items": TEXT},
        "identities": {
            "type": "array",
            "items": obj(
                {"kind": {"enum": ["email", "phone", "external"]}, "scope": TEXT, "value": TEXT}
            ),
        },
        "accepts_marketing": {"type": "boolean"},
        "consent_at": nullable(TIME),
        "consent_source": nullable(TEXT),
        "orders_count": COUNT,
        "total_spent": MONEY,
        "first_order_at": nullable(TIME),
        "last_order_at": nullable(TIME),
        "rfm": {
            **obj(
                {
                    "r": nullable(SCORE),
                    "f": nullable(SCORE),
                    "m": nullable(SCORE),
                    "segment": nullable({"type": "string", "enum": [s.value for s in Segment]}),
                }
            ),
            "description": "from the last `shopcore rfm`; scores are null for prospects",
        },
        "channels": {"type": "array", "items": CHANNEL},
        "created_at": TIME,
        "orders": {"type": "array", "items": ref("Order"), "description": "newest first"},
        "next_cursor": nullable({"type": "string", "description": "pass as ?cursor= for more"}),
    }
)
SCHEMAS: dict[str, Schema] = {
    "Error": _error(TEXT),
    "InvalidFields": {
        **_error(TEXT),
        "description": (
            "invalid_order, invalid_event and invalid_stock list their fields; "
            "invalid_parameter names its parameter; idempotency_key_reused, "
            "invalid_idempotency_key, below_allocated and out_of_range (a value or a total "
            "the database cannot hold) explain themselves"
        ),
        "properties": {
            "error": TEXT,
            "message": TEXT,
            "fields": {"type": "array", "items": ref("FieldError")},
            "parameter": TEXT,
        },
    },
    "FieldError": FIELD_ERROR,
    "InsufficientStock": _error(
        {"const": "insufficient_stock"},
        {
            "shortages": {
                "type": "array",
                "items": obj({"sku": TEXT, "requested": INT, "available": INT}),
            }
        },
    ),
    "OrderExists": _error({"const": "order_exists"}, {"id": INT}),
    "CanonicalOrder": CANONICAL_ORDER,
    "OrderPlaced": obj(
        {
            "id": INT,
            "status": {"type": "string", "const": "allocated"},
            "allocations": {"type": "array", "items": ref("Allocation")},
        }
    ),
    "Allocation": ALLOCATION,
    "Order": ORDER,
    "OrderLine": ORDER_LINE,
    "OrderPage": obj(
        {
            "orders": {"type": "array", "items": ref("Order")},
            "next_after_id": nullable({"type": "integer", "description": "pass as ?after_id="}),
        }
    ),
    "Stock": STOCK,
    "StockCount": obj({"on_hand": {"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY}}),
    "Customer": CUSTOMER,
    "Event": EVENT,
    "EventAccepted": obj(
        {
            "type": TEXT,
            "recorded": {
                "type": "boolean",
                "description": "false for product views (not stored yet)",
            },
            "cart": nullable(
                obj(
                    {
                        "cart_id": TEXT,
                        "status": {"enum": ["open", "ordered", "emptied"]},
                        "customer_id": nullable(INT),
                        "currency": TEXT,
                        "total": MONEY,
                    }
                )
            ),
        }
    ),
    "Health": {
        "type": "object",
        "properties": {
            "status": {"enum": ["ok", "unavailable"]},
            "database": {"type": "object"},
            "queue": {"type": "object"},
        },
        "required": ["status", "database", "queue"],
    },
}
