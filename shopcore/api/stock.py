"""``/api/v1/stock``: a SKU's stock per warehouse, and setting a counted quantity."""

from __future__ import annotations

from typing import Any, NoReturn

from inventory.levels import stock_of
from shopcore.api.base import blueprint, db_session, fail, read_json, run
from shopcore.api.documents import stock_document
from shopcore.stock_arrivals import set_stock
from shopcore.values import MAX_QUANTITY


@blueprint.get("/stock/<path:sku>")
def get_stock(sku: str) -> dict[str, Any]:
    """A SKU's total available units and each warehouse's on hand, allocated and available."""
    stock = stock_of(db_session(), sku)
    if stock is None:
        fail(404, "not_found", f"no product has SKU {sku!r}")
    return stock_document(stock)


@blueprint.put("/stock/<path:sku>/<warehouse>")
def put_stock(sku: str, warehouse: str) -> dict[str, Any]:
    """Record a count: set on hand (a movement is written); waiting orders get what it frees."""
    on_hand = _on_hand(read_json())
    code = warehouse.strip().upper()
    try:
        run(lambda session: set_stock(session, sku, code, on_hand))
    except LookupError as e:
        fail(404, "not_found", str(e))
    except ValueError as e:
        fail(422, "below_allocated", str(e), fields=[{"field": "on_hand", "message": str(e)}])
    return get_stock(sku)


def _on_hand(body: Any) -> int:
    if not isinstance(body, dict):
        _invalid("", 'the body must be an object like {"on_hand": 12}')
    value = body.get("on_hand")
    if isinstance(value, bool) or not isinstance(value, int):
        _invalid("on_hand", f"must be a whole number, got {type(value).__name__}")
    if not 0 <= value <= MAX_QUANTITY:
        _invalid("on_hand", f"must be between 0 and {MAX_QUANTITY}")
    return value


def _invalid(field: str, message: str) -> NoReturn:
    fail(422, "invalid_stock", message, fields=[{"field": field, "message": message}])
