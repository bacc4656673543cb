"""``POST /webhooks/<source>`` over HTTP: signed as the platforms sign, kept once, replayable."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from config.settings import load_settings
from inventory.models import StockLevel
from inventory.stock import set_on_hand
from shopcore import create_app
from shopcore.cli import main
from shopcore.db import Database
from shopcore.deliveries import replay_delivery
from shopcore.enums import (
    CartStatus,
    DeliveryStatus,
    IdentityKind,
    LineStatus,
    OrderStatus,
    Platform,
)
from shopcore.intake.signatures import sign_generic, sign_shopify, sign_woocommerce
from shopcore.models import Cart, CustomerIdentity, Order, Source, WebhookDelivery
from tests.factories import add_product, add_warehouses

FIXTURES = Path(__file__).parent.parent / "fixtures"
SECRET = "shpss_test_secret"
Post = Callable[..., TestResponse]


@pytest.fixture
def app(db: Database) -> Iterator[Flask]:
    url = db.engine.url.render_as_string(hide_password=False)
    yield create_app(load_settings(environ={}, database_url=url, secret_key="test"))


@pytest.fixture
def client(app: Flask, db: Database) -> FlaskClient:
    """A client for a shop with three webhook sources and the sample orders' products."""
    with db.session() as session:
        for name, platform in (("shop", "shopify"), ("woo", "woocommerce"), ("hub", "generic")):
            session.add(Source(name=name, platform=Platform(platform), secret=SECRET))
        warehouse = add_warehouses(session, ("FC", 10, "online"))["FC"]
        for sku in ("SKU2006-001", "SKU2006-020", "Bar3", "TEA-001"):
            set_on_hand(session, add_product(session, sku).id, warehouse.id, 5)
        session.commit()
    return app.test_client()


def sample(name: str, **changes: Any) -> bytes:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    data.update(changes)
    return json.dumps(data).encode()


@pytest.fixture
def shopify(client: FlaskClient) -> Post:
    def post(
        topic: str, body: bytes, *, secret: str = SECRET, webhook_id: str = ""
    ) -> TestResponse:
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign_shopify(body, secret),
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Shop-Domain": "jsmith.myshopify.com",
        }
        return client.post("/webhooks/shop", data=body, headers=headers)

    return post


@pytest.fixture
def woocommerce(client: FlaskClient) -> Post:
    def post(topic: str, body: bytes) -> TestResponse:
        headers = {
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": sign_woocommerce(body, SECRET),
            "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
            "X-WC-Webhook-Source": "https://example.com/",
        }
        return client.post("/webhooks/woo", data=body, headers=headers)

    return post


@pytest.fixture
def generic(client: FlaskClient) -> Post:
    def post(kind: str, data: dict[str, Any], *, at: float | None = None) -> TestResponse:
        body = json.dumps({"type": kind, "data": data}).encode()
        signature = sign_generic(body, SECRET, timestamp=int(at or time.time()))
        return client.post("/webhooks/hub", data=body, headers={"X-Shopcore-Signature": signature})

    return post


def live_order(**changes: Any) -> bytes:
    """The documented Shopify order, made a real open order for two of our products."""
    data = json.loads((FIXTURES / "shopify" / "orders_create.json").read_text())
    data.update({"cancelled_at": None, "test": False, "financial_status": "paid", **changes})
    data["line_items"] = [data["line_items"][0], data["line_items"][3]]
    return json.dumps(data).encode()


def counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        orders = session.scalar(select(func.count(Order.id))) or 0
        deliveries = session.scalar(select(func.count(WebhookDelivery.id))) or 0
        return orders, deliveries


def the_order(db: Database) -> Order:
    with db.session() as session:
        order = session.scalars(select(Order)).one()
        _ = order.lines
        return order


def test_a_signed_shopify_order_is_recorded_and_allocated(shopify: Post, db: Database) -> None:
    response = shopify("orders/create", live_order())
    assert response.status_code == 201, response.json
    assert response.json is not None and response.json["status"] == "accepted"
    order = the_order(db)
    assert response.json["order"] == order.id
    assert order.external_id == "820982911946154508"
    assert order.status == OrderStatus.ALLOCATED
    assert [(x.sku, x.status) for x in order.lines] == [
        ("SKU2006-001", LineStatus.ALLOCATED),
        ("SKU2006-020", LineStatus.ALLOCATED),
    ]
    with db.session() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.order_id, delivery.topic) == (
            DeliveryStatus.ACCEPTED,
            order.id,
            "orders/create",
        )
        identity = session.scalar(
            select(CustomerIdentity).where(CustomerIdentity.kind == IdentityKind.EXTERNAL)
        )
        assert identity is not None and identity.value == "115310627314723954"


def test_the_documented_sample_is_recorded_as_a_test_order(shopify: Post, db: Database) -> None:
    response = shopify("orders/create", (FIXTURES / "shopify" / "orders_create.json").read_bytes())
    assert response.status_code == 201, response.json
    order = the_order(db)
    assert order.is_test is True
    assert order.status == OrderStatus.CANCELLED
    with db.session() as session:
        assert session.scalar(select(func.sum(StockLevel.allocated))) == 0


def test_the_same_delivery_twice_records_one_order(shopify: Post, db: Database) -> None:
    first = shopify("orders/create", live_order(), webhook_id="b54557e4")
    again = shopify("orders/create", live_order(), webhook_id="b54557e4")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json is not None and again.json["status"] == "duplicate"
    assert first.json is not None and again.json["order"] == first.json["order"]
    assert counts(db) == (1, 1)


def test_an_older_version_never_overwrites_a_newer_one(shopify: Post, db: Database) -> None:
    newer = live_order(updated_at="2022-01-02T10:00:00Z", fulfillment_status="fulfilled")
    older = live_order(updated_at="2022-01-01T10:00:00Z", cancelled_at="2022-01-01T10:00:00Z")
    assert shopify("orders/updated", newer).status_code == 201
    response = shopify("orders/cancelled", older)
    assert response.status_code == 200
    assert response.json is not None and response.json["outcome"] == "stale"
    assert the_order(db).status == OrderStatus.SHIPPED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b.replace(b"89.99", b"0.01")),
        lambda h, b: ({**h, "X-Shopify-Hmac-Sha256": sign_shopify(b, "wrong secret")}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "X-Shopify-Hmac-Sha256"}, b),
    ],
    ids=["tampered body", "wrong secret", "missing header"],
)
def test_a_bad_signature_is_401_and_stores_nothing(
    client: FlaskClient, db: Database, tamper: Callable[..., tuple[dict[str, str], bytes]]
) -> None:
    body = live_order()
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign_shopify(body, SECRET),
    }
    headers, body = tamper(headers, body)
    response = client.post("/webhooks/shop", data=body, headers=headers)
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "invalid_signature"
    assert counts(db) == (0, 0)


def test_a_stale_generic_signature_is_401_and_stores_nothing(generic: Post, db: Database) -> None:
    order = {
        "external_id": "A-1001",
        "channel": "online",
        "placed_at": "2026-12-01T10:00:00Z",
        "currency": "EUR",
        "lines": [{"sku": "TEA-001", "quantity": 1, "unit_price": "4.50"}],
    }
    response = generic("order", order, at=time.time() - 301)
    assert response.status_code == 401
    assert response.json is not None and "timestamp" in response.json["message"]
    assert counts(db) == (0, 0)
    assert generic("order", order).status_code == 201


def test_an_unknown_source_is_404(client: FlaskClient) -> None:
    response = client.post("/webhooks/nobody", data=b"{}")
    assert response.status_code == 404
    assert response.json == {
        "error": "unknown_source",
        "message": "no webhook source named 'nobody'",
    }


def test_an_unreadable_body_is_kept_and_replays_once_corrected(
    shopify: Post, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = shopify("orders/create", b'{"id": 820982911946154508, "line_items": [')
    assert response.status_code == 400
    assert response.json is not None and response.json["error"] == "unreadable_body"
    delivery_id = response.json["delivery"]
    assert counts(db) == (0, 1)
    with db.session() as session:
        delivery = session.get_one(WebhookDelivery, delivery_id)
        assert delivery.status == DeliveryStatus.REJECTED
        assert delivery.body.startswith(b'{"id": 820982911946154508')
        assert delivery.headers["X-Shopify-Topic"] == "orders/create"
        assert "not valid JSON" in (delivery.error or "")

    monkeypatch.setenv("SHOPCORE_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    again = CliRunner().invoke(main, ["deliveries", "replay", str(delivery_id)])
    assert again.exit_code == 1
    assert "rejected again" in again.output

    with db.session() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(body=live_order())
        )
        session.commit()
    replayed = CliRunner().invoke(main, ["deliveries", "replay", str(delivery_id)])
    assert replayed.exit_code == 0, replayed.output
    assert f"delivery {delivery_id} accepted" in replayed.output
    assert the_order(db).external_id == "820982911946154508"
    assert counts(db) == (1, 1)
    done = CliRunner().invoke(main, ["deliveries", "replay", str(delivery_id)])
    assert done.exit_code == 1 and "only rejected ones replay" in done.output


def test_an_invalid_order_says_which_fields_are_wrong(shopify: Post, db: Database) -> None:
    data = json.loads(live_order())
    data["line_items"][0]["price"] = "89.999"
    response = shopify("orders/create", json.dumps(data).encode())
    assert response.status_code == 400
    assert response.json is not None and response.json["error"] == "invalid_order"
    assert response.json["errors"][0]["field"] == "lines[0].unit_price"
    assert counts(db) == (0, 1)


def test_a_refund_before_its_order_is_kept_and_replays_after_it(
    shopify: Post, db: Database
) -> None:
    data = json.loads(sample("shopify/refunds_create"))
    data["refund_line_items"][0].update(restock_type="return")
    refund = shopify("refunds/create", json.dumps(data).encode())
    assert refund.status_code == 422
    assert refund.json is not None and refund.json["error"] == "unknown_order"
    shopify("orders/create", live_order(fulfillment_status="fulfilled"))
    with db.session() as session:
        on_hand = session.scalar(select(func.sum(StockLevel.on_hand)))
    receipt = replay_delivery(db, refund.json["delivery"], region="US")
    assert (receipt.verdict.value, receipt.outcome) == ("accepted", "restocked")
    with db.session() as session:
        assert session.scalar(select(func.sum(StockLevel.on_hand))) == (on_hand or 0) + 1


def test_the_woocommerce_ping_is_answered_and_nothing_is_stored(
    client: FlaskClient, db: Database
) -> None:
    response = client.post(
        "/webhooks/woo",
        data=b"webhook_id=15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert counts(db) == (0, 0)


def test_a_woocommerce_order_is_recorded_and_its_deletion_cancels_it(
    woocommerce: Post, db: Database
) -> None:
    response = woocommerce("order.created", (FIXTURES / "woocommerce" / "order.json").read_bytes())
    assert response.status_code == 201, response.json
    order = the_order(db)
    assert order.external_id == "727"
    assert [(x.sku, x.status) for x in order.lines] == [
        ("WC-93", LineStatus.UNKNOWN_SKU),
        ("Bar3", LineStatus.ALLOCATED),
    ]
    deleted = woocommerce("order.deleted", b'{"id":727}')
    assert deleted.status_code == 200 and deleted.json is not None
    assert deleted.json["outcome"] == "cancelled"
    assert the_order(db).status == OrderStatus.CANCELLED


def test_a_shopify_checkout_is_kept_as_a_cart(shopify: Post, db: Database) -> None:
    assert shopify("checkouts/create", sample("shopify/checkouts_create")).status_code == 200
    completed = sample(
        "shopify/checkouts_create",
        completed_at="2022-01-01T01:00:00Z",
        updated_at="2022-01-01T01:00:00Z",
    )
    assert shopify("checkouts/update", completed).status_code == 200
    with db.session() as session:
        cart = session.scalars(select(Cart)).one()
        assert (cart.external_id, cart.status, len(cart.items)) == (
            "123123123",
            CartStatus.ORDERED,
            2,
        )
        assert cart.customer_id is not None


def test_a_shopify_customer_is_matched_by_its_shopify_id(shopify: Post, db: Database) -> None:
    response = shopify("customers/create", sample("shopify/customers_create"))
    assert response.status_code == 200 and response.json is not None
    assert response.json["outcome"] == "customer"
    with db.session() as session:
        identity = session.scalar(
            select(CustomerIdentity).where(CustomerIdentity.kind == IdentityKind.EXTERNAL)
        )
        assert identity is not None
        assert (identity.scope, identity.value) == ("shop", "706405506930370084")


def test_topics_shopcore_does_not_use_are_recorded_as_ignored(shopify: Post, db: Database) -> None:
    response = shopify("products/update", b'{"id": 1}')
    assert response.status_code == 200
    assert response.json is not None and response.json["status"] == "ignored"
    with db.session() as session:
        assert session.scalars(select(WebhookDelivery.status)).one() == DeliveryStatus.IGNORED


def test_a_generic_cart_event_keeps_the_cart_under_its_source(generic: Post, db: Database) -> None:
    event = {
        "type": "checkout_started",
        "occurred_at": "2026-12-01T10:00:00Z",
        "cart_id": "c-77",
        "customer": {"email": "ann@example.com", "accepts_marketing": True},
        "items": [{"sku": "TEA-001", "quantity": 2, "unit_price": "4.50"}],
    }
    response = generic("event", event)
    assert response.status_code == 200, response.json
    with db.session() as session:
        cart = session.scalars(select(Cart)).one()
        source = session.get_one(Source, cart.source_id)
        assert (source.name, cart.external_id, cart.status) == ("hub", "c-77", CartStatus.OPEN)
        assert [(i.sku, i.quantity, i.product_id is not None) for i in cart.items] == [
            ("TEA-001", 2, True)
        ]


def test_an_oversized_body_is_413_and_stores_nothing(client: FlaskClient, db: Database) -> None:
    response = client.post("/webhooks/shop", data=b" " * (5 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json is not None and response.json["error"] == "too_large"
    assert counts(db) == (0, 0)


def test_a_get_on_a_webhook_url_is_refused_in_json(db: Database) -> None:
    app = create_app(
        load_settings(
            environ={},
            database_url=db.engine.url.render_as_string(hide_password=False),
            secret_key="test",
        )
    )
    response = app.test_client().get("/webhooks/shop")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]
