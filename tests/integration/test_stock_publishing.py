"""Availability changes are POSTed, signed, to the stock webhook after they commit."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry

from config.settings import SettingsError, load_settings
from inventory.jobs import RETRY_DELAYS, DeliveryFailed, publish_availability
from shopcore import queue
from shopcore.db import Database
from shopcore.stock_arrivals import set_stock
from shopcore.transactions import run_in_transaction
from tests.integration.api_support import Shop, bearer, make_app, make_token, open_shop, order_body

SECRET = "stock-secret"


@dataclass
class Receiver:
    """A real HTTP server on a free port that keeps what it is sent."""

    url: str
    status: int = 204
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server convention)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((dict(self.headers), body))
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/stock"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def publishing(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Receiver:
    monkeypatch.setenv("SHOPCORE_STOCK_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("SHOPCORE_STOCK_WEBHOOK_SECRET", SECRET)
    return receiver


@pytest.fixture
def shop(db: Database) -> Shop:
    return open_shop(db)


@pytest.fixture
def client(db: Database) -> FlaskClient:
    return make_app(db).test_client()


def _signed_correctly(headers: dict[str, str], body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in headers["X-Shopcore-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def test_placing_an_order_posts_the_new_availability_signed_like_a_generic_webhook(
    db: Database, shop: Shop, client: FlaskClient, publishing: Receiver
) -> None:
    auth = bearer(make_token(db))
    response = client.post("/api/v1/orders", json=order_body([(shop.tea, 2)]), headers=auth)
    assert response.status_code == 201
    assert len(publishing.received) == 1
    headers, body = publishing.received[0]
    assert headers["Content-Type"] == "application/json"
    assert _signed_correctly(headers, body)
    message = json.loads(body)
    assert message["type"] == "stock.available"
    # Online and retail stock together: 9 teas, 2 now allocated.
    assert message["items"] == [{"sku": shop.tea, "available": 7}]
    assert datetime.fromisoformat(message["sent_at"]).tzinfo is not None


def test_one_transaction_sends_one_publication_with_all_its_skus(
    db: Database, shop: Shop, client: FlaskClient, publishing: Receiver
) -> None:
    auth = bearer(make_token(db))
    placed = client.post(
        "/api/v1/orders", json=order_body([(shop.tea, 5), (shop.mug, 1)]), headers=auth
    ).get_json()
    client.post(f"/api/v1/orders/{placed['id']}/cancel", headers=auth)
    bodies = publishing.bodies()
    assert len(bodies) == 2
    assert all(sorted(i["sku"] for i in b["items"]) == sorted([shop.tea, shop.mug]) for b in bodies)
    assert {i["sku"]: i["available"] for i in bodies[1]["items"]} == {shop.tea: 9, shop.mug: 5}


def test_a_count_publishes_what_is_available_after_it(
    db: Database, shop: Shop, publishing: Receiver
) -> None:
    run_in_transaction(db, lambda session: set_stock(session, shop.tea, "FC-N", 12))
    assert publishing.bodies()[-1]["items"] == [{"sku": shop.tea, "available": 19}]


def test_a_rolled_back_change_publishes_nothing(
    db: Database, shop: Shop, publishing: Receiver
) -> None:
    with db.session() as session:
        set_stock(session, shop.tea, "FC-N", 12)
        session.rollback()
    assert publishing.received == []


def test_without_a_url_nothing_is_sent(db: Database, shop: Shop, receiver: Receiver) -> None:
    run_in_transaction(db, lambda session: set_stock(session, shop.tea, "FC-N", 12))
    publish_availability([shop.tea])
    assert receiver.received == []


def test_a_url_needs_its_signing_secret() -> None:
    with pytest.raises(SettingsError, match="SECRET"):
        load_settings(environ={"SHOPCORE_STOCK_WEBHOOK_URL": "https://shop.example/stock"})
    with pytest.raises(SettingsError, match="http"):
        load_settings(
            environ={
                "SHOPCORE_STOCK_WEBHOOK_URL": "ftp://shop.example",
                "SHOPCORE_STOCK_WEBHOOK_SECRET": "s",
            }
        )


@pytest.mark.redis
def test_a_failed_post_is_retried_later_through_rq_and_fails_after_the_last_try(
    db: Database, shop: Shop, publishing: Receiver, redis_url: str
) -> None:
    publishing.status = 503
    queue.configure(load_settings(environ={}, redis_url=redis_url))
    run_in_transaction(db, lambda session: set_stock(session, shop.tea, "FC-N", 12))
    connection = Redis.from_url(redis_url)
    default = Queue("default", connection=connection)
    assert default.count == 1
    SimpleWorker([default], connection=connection).work(burst=True)
    assert len(publishing.received) == 1
    scheduled = ScheduledJobRegistry(queue=default)
    [job_id] = scheduled.get_job_ids()
    retry = default.fetch_job(job_id)
    assert retry is not None
    assert retry.args == ([shop.tea],) and retry.kwargs == {"attempt": 1}
    with pytest.raises(DeliveryFailed, match="503"):
        publish_availability([shop.tea], attempt=len(RETRY_DELAYS))
