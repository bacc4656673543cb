"""Deliveries of one order in any order, some twice, end in the state of its latest version."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from config.settings import load_settings
from inventory.stock import set_on_hand
from shopcore import create_app
from shopcore.db import Database
from shopcore.enums import LineStatus, OrderStatus, Platform
from shopcore.intake.signatures import sign_shopify
from shopcore.models import Order, Source
from shopcore.ordering import allocations_of
from tests.factories import add_product, add_warehouses, random_sku

SAMPLE = Path(__file__).parent.parent / "fixtures" / "shopify" / "orders_create.json"
SECRET = "s"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

# A version of the order: cancelled or open, and how many of each product it holds (0: none).
versions = st.lists(
    st.tuples(st.booleans(), st.integers(1, 3), st.integers(0, 3)), min_size=1, max_size=5
)


@pytest.fixture
def shop(db: Database) -> tuple[FlaskClient, list[str]]:
    url = db.engine.url.render_as_string(hide_password=False)
    app: Flask = create_app(load_settings(environ={}, database_url=url, secret_key="test"))
    skus = [random_sku(), random_sku()]
    with db.session() as session:
        session.add(Source(name="shop", platform=Platform.SHOPIFY, secret=SECRET))
        warehouse = add_warehouses(session, ("FC", 10, "online"))["FC"]
        for sku in skus:
            set_on_hand(session, add_product(session, sku).id, warehouse.id, 10_000)
        session.commit()
    return app.test_client(), skus


def body(order_id: int, index: int, version: tuple[bool, int, int], skus: list[str]) -> bytes:
    cancelled, first, second = version
    data: dict[str, Any] = json.loads(SAMPLE.read_text())
    moment = (T0 + timedelta(minutes=index)).isoformat()
    template = data["line_items"][0]
    lines = [
        {**template, "id": n, "sku": sku, "quantity": quantity, "price": "4.50"}
        for n, (sku, quantity) in enumerate(zip(skus, (first, second), strict=True))
        if quantity
    ]
    data.update(
        id=order_id,
        test=False,
        updated_at=moment,
        cancelled_at=moment if cancelled else None,
        financial_status="paid",
        line_items=lines,
    )
    return json.dumps(data).encode()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(versions=versions, data=st.data())
def test_any_delivery_order_ends_in_the_latest_versions_state(
    db: Database, shop: tuple[FlaskClient, list[str]], versions: list[Any], data: st.DataObject
) -> None:
    client, skus = shop
    order_id = uuid.uuid4().int % 10**18  # Shopify-sized: above 2**53
    order = data.draw(st.permutations(range(len(versions))), label="delivery order")
    again = data.draw(st.lists(st.sampled_from(order), max_size=2), label="sent twice")
    ids = {i: str(uuid.uuid4()) for i in order}
    for i in [*order, *again]:
        raw = body(order_id, i, versions[i], skus)
        topic = "orders/cancelled" if versions[i][0] else "orders/updated"
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign_shopify(raw, SECRET),
            "X-Shopify-Webhook-Id": ids[i],
        }
        response = client.post("/webhooks/shop", data=raw, headers=headers)
        assert response.status_code in (200, 201), response.json

    cancelled, first, second = versions[-1]
    wanted = {sku: q for sku, q in zip(skus, (first, second), strict=True) if q}
    with db.session() as session:
        found = session.scalars(select(Order).where(Order.external_id == str(order_id))).one()
        held = {a["sku"]: a["quantity"] for a in allocations_of(session, found.id)}
        live = {x.sku: x.quantity for x in found.lines if x.status != LineStatus.CANCELLED}
        assert found.source_updated_at == T0 + timedelta(minutes=len(versions) - 1)
        if cancelled:
            assert (found.status, held, live) == (OrderStatus.CANCELLED, {}, {})
        else:
            assert (found.status, held, live) == (OrderStatus.ALLOCATED, wanted, wanted)
