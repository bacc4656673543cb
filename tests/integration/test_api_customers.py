"""The customers API: one customer, however many channels, with one history newest first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from shopcore.canonical import parse_order
from shopcore.db import Database
from shopcore.enums import OrderStatus, Platform
from shopcore.ordering import IncomingOrder, accept_order
from shopcore.orders import get_or_create_source, record_order
from shopcore.transactions import run_in_transaction
from tests.integration.api_support import (
    T0,
    Shop,
    order_body,
)


def _at(days: int) -> str:
    return (T0 + timedelta(days=days)).isoformat()


def _from_store(db: Database, data: dict[str, Any]) -> int:
    def accept(session: Session) -> int:
        source = get_or_create_source(session, "shop", Platform.SHOPIFY)
        incoming = IncomingOrder(parse_order(data), status=OrderStatus.PENDING)
        return accept_order(session, incoming, source=source, region="DE").order.id

    return run_in_transaction(db, accept)


def _from_history(db: Database, data: dict[str, Any]) -> int:
    def record(session: Session) -> int:
        source = get_or_create_source(session, "import", Platform.CSV)
        return record_order(session, parse_order(data), source=source, region="DE").order.id

    return run_in_transaction(db, record)


def test_a_customer_has_the_orders_of_every_channel_newest_first(
    client: FlaskClient, auth: dict[str, str], shop: Shop, db: Database
) -> None:
    online = order_body([(shop.tea, 1)], placed_at=_at(2))
    online["customer"] = {
        "email": "Ann@Example.com",
        "phone": "0151 1234 5678",
        "first_name": "Ann",
        "last_name": "Lee",
        "company": "Lee Teas",
        "accepts_marketing": True,
    }
    api_id = client.post("/api/v1/orders", json=online, headers=auth).get_json()["id"]
    store = order_body([(shop.mug, 2)], channel="retail", placed_at=_at(5))
    store["customer"] = {"email": " ann@example.COM "}
    store_id = _from_store(db, store)
    wholesale = order_body([(shop.tea, 10)], channel="wholesale", placed_at=_at(-30))
    wholesale["customer"] = {"phone": "+49 151 12345678"}
    history_id = _from_history(db, wholesale)

    customer_id = client.get(f"/api/v1/orders/{api_id}", headers=auth).get_json()["customer_id"]
    response = client.get(f"/api/v1/customers/{customer_id}", headers=auth)
    assert response.status_code == 200
    customer = response.get_json()
    assert customer["id"] == customer_id
    assert customer["name"] == "Ann Lee"
    assert customer["company"] == "Lee Teas"
    assert customer["email"] == "ann@example.com"
    assert customer["emails"] == ["ann@example.com"]
    assert customer["phones"] == ["+4915112345678"]
    assert {"kind": "email", "scope": "", "value": "ann@example.com"} in customer["identities"]
    assert customer["accepts_marketing"] is True
    assert customer["consent_source"] == "api"
    assert customer["consent_at"] == "2026-12-03T10:00:00Z"
    assert customer["orders_count"] == 3
    assert customer["total_spent"] == "58.50"
    assert customer["first_order_at"] == "2026-11-01T10:00:00Z"
    assert customer["last_order_at"] == "2026-12-06T10:00:00Z"
    assert customer["channels"] == ["online", "retail", "wholesale"]
    assert [o["id"] for o in customer["orders"]] == [store_id, api_id, history_id]
    assert [o["channel"] for o in customer["orders"]] == ["retail", "online", "wholesale"]
    assert [o["source"] for o in customer["orders"]] == ["shop", "api", "import"]
    assert customer["orders"][0]["lines"][0]["unit_price"] == "4.50"
    assert customer["next_cursor"] is None


def test_the_history_comes_in_pages_with_a_cursor(
    client: FlaskClient, auth: dict[str, str], shop: Shop
) -> None:
    ids = []
    # Two orders at the same moment: the id breaks the tie.
    for days in (3, 1, 4, 1, 2):
        body = order_body([(shop.tea, 1)], placed_at=_at(days))
        ids.append(client.post("/api/v1/orders", json=body, headers=auth).get_json()["id"])
    customer_id = client.get(f"/api/v1/orders/{ids[0]}", headers=auth).get_json()["customer_id"]
    seen: list[int] = []
    cursor = ""
    while True:
        page = client.get(
            f"/api/v1/customers/{customer_id}?limit=2&cursor={cursor}", headers=auth
        ).get_json()
        assert len(page["orders"]) <= 2
        seen += [o["id"] for o in page["orders"]]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert seen == [ids[2], ids[0], ids[4], ids[3], ids[1]]


def test_an_unknown_customer_is_404(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.get("/api/v1/customers/31337", headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


@pytest.mark.parametrize(
    "query", ["cursor=nonsense", "cursor=%FF%FE", "cursor=MjAyNnww", "limit=0"]
)
def test_bad_history_parameters_are_422(
    client: FlaskClient, auth: dict[str, str], shop: Shop, query: str
) -> None:
    placed = client.post("/api/v1/orders", json=order_body([(shop.tea, 1)]), headers=auth)
    customer_id = client.get(f"/api/v1/orders/{placed.get_json()['id']}", headers=auth).get_json()[
        "customer_id"
    ]
    response = client.get(f"/api/v1/customers/{customer_id}?{query}", headers=auth)
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_parameter"


def test_customers_need_a_token(client: FlaskClient) -> None:
    assert client.get("/api/v1/customers/1").status_code == 401
