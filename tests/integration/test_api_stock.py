"""The stock API: a SKU's figures per warehouse, and counted quantities set through the ledger."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.ledger import find_drift
from inventory.models import MovementKind, StockMovement
from shopcore.canonical import parse_order
from shopcore.db import Database
from shopcore.enums import OrderStatus, Platform
from shopcore.models import Order
from shopcore.ordering import IncomingOrder, accept_order
from shopcore.orders import get_or_create_source
from shopcore.transactions import run_in_transaction
from tests.integration.api_support import Shop, order_body


def _put(client: FlaskClient, auth: dict[str, str], path: str, body: Any) -> Any:
    return client.put(f"/api/v1/stock/{path}", json=body, headers=auth)


def test_stock_shows_every_warehouse_and_the_total_available(
    client: FlaskClient, auth: dict[str, str], shop: Shop
) -> None:
    client.post("/api/v1/orders", json=order_body([(shop.tea, 3)]), headers=auth)
    response = client.get(f"/api/v1/stock/{shop.tea}", headers=auth)
    assert response.status_code == 200
    assert response.get_json() == {
        "sku": shop.tea,
        "available": 6,
        "warehouses": [
            {"code": "FC-N", "on_hand": 2, "allocated": 0, "available": 2},
            {"code": "FC-S", "on_hand": 3, "allocated": 3, "available": 0},
            {"code": "STORE", "on_hand": 4, "allocated": 0, "available": 4},
        ],
    }


def test_an_unknown_sku_is_404(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.get("/api/v1/stock/NO-SUCH-SKU", headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_a_count_sets_on_hand_records_a_movement_and_answers_the_new_figures(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database
) -> None:
    response = _put(client, auth, f"{shop.tea}/fc-s", {"on_hand": 10})
    assert response.status_code == 200
    body = response.get_json()
    assert body["available"] == 16
    assert {"code": "FC-S", "on_hand": 10, "allocated": 0, "available": 10} in body["warehouses"]
    with db.session() as session:
        counts = session.scalars(
            select(StockMovement.on_hand_delta).where(
                StockMovement.kind == MovementKind.COUNT,
                StockMovement.warehouse_id == shop.ids["FC-S"],
                StockMovement.product_id == shop.ids[shop.tea],
            )
        ).all()
        assert counts == [3, 7]
        assert find_drift(session) == []


def test_a_count_in_a_warehouse_without_the_sku_yet_creates_its_level(
    client: FlaskClient, auth: dict[str, str], shop: Shop
) -> None:
    assert _put(client, auth, f"{shop.mug}/FC-S", {"on_hand": 0}).status_code == 200
    body = _put(client, auth, f"{shop.mug}/FC-S", {"on_hand": 2}).get_json()
    assert body["available"] == 7


def test_a_count_gives_freed_stock_to_orders_waiting_for_it(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database
) -> None:
    data = order_body([(shop.tea, 8)])

    def accept(session: Any) -> int:
        source = get_or_create_source(session, "shop", Platform.SHOPIFY)
        incoming = IncomingOrder(parse_order(data), status=OrderStatus.PENDING)
        return accept_order(session, incoming, source=source, region="DE").order.id

    order_id = run_in_transaction(db, accept)
    with db.session() as session:
        assert session.get_one(Order, order_id).status == OrderStatus.AWAITING_STOCK
    _put(client, auth, f"{shop.tea}/FC-S", {"on_hand": 6})
    order = client.get(f"/api/v1/orders/{order_id}", headers=auth).get_json()
    assert order["status"] == "allocated"
    assert sum(a["quantity"] for a in order["allocations"]) == 8


@pytest.mark.parametrize(
    ("path", "what"), [("NO-SUCH/FC-N", "product"), ("{tea}/MOON", "warehouse")]
)
def test_counting_an_unknown_sku_or_warehouse_is_404(
    client: FlaskClient, auth: dict[str, str], shop: Shop, path: str, what: str
) -> None:
    response = _put(client, auth, path.format(tea=shop.tea), {"on_hand": 1})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert what in response.get_json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"on_hand": -1},
        {"on_hand": "5"},
        {"on_hand": True},
        {"on_hand": 2.5},
        {"on_hand": 2**31},
        {"on_hand": 10**30},
        {"on_hand": None},
        {},
        [5],
        "5",
    ],
)
def test_a_count_that_is_not_a_whole_number_of_units_is_422(
    client: FlaskClient, auth: dict[str, str], shop: Shop, body: Any
) -> None:
    response = _put(client, auth, f"{shop.tea}/FC-N", body)
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_stock"
    assert response.get_json()["fields"]


def test_a_count_below_what_is_allocated_is_refused(
    client: FlaskClient, auth: dict[str, str], shop: Shop
) -> None:
    client.post("/api/v1/orders", json=order_body([(shop.tea, 2)]), headers=auth)
    response = _put(client, auth, f"{shop.tea}/FC-N", {"on_hand": 1})
    assert response.status_code == 422
    assert response.get_json()["error"] == "below_allocated"
    stock = client.get(f"/api/v1/stock/{shop.tea}", headers=auth).get_json()
    assert stock["warehouses"][0] == {"code": "FC-N", "on_hand": 2, "allocated": 2, "available": 0}


def test_stock_needs_a_token(client: FlaskClient, shop: Shop) -> None:
    assert client.get(f"/api/v1/stock/{shop.tea}").status_code == 401
    assert client.put(f"/api/v1/stock/{shop.tea}/FC-N", json={"on_hand": 1}).status_code == 401
