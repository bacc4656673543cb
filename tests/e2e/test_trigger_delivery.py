"""Abandoned-cart emails through real parts: PostgreSQL, Redis, an RQ worker and an SMTP server.

The store's events go in over the API; ``shopcore worker --burst`` (a real process, forking
RQ work horses) runs the scheduler pass, works off the send jobs and exits; the SMTP server
in the test says what was delivered.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from retention.defaults import install_defaults
from retention.models import EnrollmentStep, Trigger
from retention.vocabulary import StepStatus
from shopcore.db import Database, utcnow
from shopcore.models import Customer
from tests.e2e.conftest import ROOT, clean_env
from tests.e2e.mail import private_redis, smtp_server
from tests.integration.api_support import (
    Shop,
    bearer,
    make_app,
    make_token,
    open_shop,
    post_cart_event,
    post_order,
)
from tests.retention_factories import add_message

pytestmark = pytest.mark.parametrize("db", ["postgresql"], indirect=True)


def worker_env(db: Database, *, redis_url: str, smtp_url: str, **extra: str) -> dict[str, str]:
    return clean_env(
        SHOPCORE_DATABASE_URL=db.engine.url.render_as_string(hide_password=False),
        SHOPCORE_REDIS_URL=redis_url,
        SHOPCORE_SMTP_URL=smtp_url,
        SHOPCORE_SECRET_KEY="test",
        SHOPCORE_BASE_URL="https://shop.test",
        SHOPCORE_QUIET_HOURS="",
        **extra,
    )


def run_burst(env: dict[str, str], log: Path, *, timeout: float = 120) -> None:
    """``shopcore worker --burst`` until it exits; fail with its output if it does not exit 0."""
    with log.open("w") as out:
        result = subprocess.run(
            [sys.executable, "-m", "shopcore", "worker", "--burst"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
    assert result.returncode == 0, log.read_text()


def only_trigger(db: Database, name: str) -> None:
    with db.session() as session:
        install_defaults(session)
        session.execute(update(Trigger).values(holdout_percent=0))
        session.execute(update(Trigger).where(Trigger.name != name).values(enabled=False))
        session.commit()


def cart(client: FlaskClient, auth: dict[str, str], shop: Shop, address: str, at: datetime) -> None:
    items = [
        {"sku": shop.tea, "quantity": 2, "unit_price": "4.50"},
        {"sku": shop.mug, "quantity": 1, "unit_price": "12.00"},
    ]
    post_cart_event(client, auth, address, at, items, kind="checkout_started")


def test_abandoned_carts_go_out_once_and_only_to_those_who_should_get_them(
    db: Database, tmp_path: Path
) -> None:
    app = make_app(db)
    client, auth, shop = app.test_client(), bearer(make_token(db)), open_shop(db)
    only_trigger(db, "Abandoned cart")
    now = utcnow()
    for address in ("ann@example.com", "bob@example.com", "cid@example.com", "dee@example.com"):
        cart(client, auth, shop, address, now - timedelta(hours=2))
    # Bob completes his purchase before the one-hour reminder falls due.
    post_order(client, auth, shop.tea, "bob@example.com", now - timedelta(minutes=90))
    with db.session() as session:
        customers = {c.email: c for c in session.scalars(select(Customer))}
        # Cid had a marketing email yesterday: with a cap of one a week, he waits.
        add_message(session, customer=customers["cid@example.com"], sent_ago=timedelta(days=1))
        earlier = add_message(session, customer=customers["dee@example.com"])
        session.commit()
        dee_token = earlier.token
    # Dee unsubscribes from an earlier email with the one-click POST of RFC 8058.
    response = client.post(
        f"/u/{dee_token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200

    with smtp_server() as (smtp_url, sink), private_redis(tmp_path) as redis:
        env = worker_env(db, redis_url=redis.url, smtp_url=smtp_url, SHOPCORE_FREQUENCY_CAP="1")
        run_burst(env, tmp_path / "worker.log")

    assert sink.counts() == {"ann@example.com": 1}
    (mail,) = sink.to("ann@example.com")
    assert mail["X-Shopcore-Trigger"] == "abandoned_cart"
    assert mail["List-Unsubscribe"].startswith("<https://shop.test/u/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = {part.get_content_type(): part for part in mail.walk()}
    html, text = parts["text/html"].get_content(), parts["text/plain"].get_content()
    assert "Test product" in text and "EUR 12.00" in text and "EUR 21.00" in text
    assert "https://shop.test/t/o/" in html  # the open pixel
    with db.session() as session:
        notes = dict(
            session.execute(
                select(Customer.email, EnrollmentStep.note)
                .join_from(EnrollmentStep, EnrollmentStep.enrollment)
                .join(Customer)
                .where(EnrollmentStep.position == 1)
            ).all()
        )
        states = set(
            session.execute(
                select(Customer.email, EnrollmentStep.status)
                .join_from(EnrollmentStep, EnrollmentStep.enrollment)
                .join(Customer)
                .where(EnrollmentStep.position == 1)
            ).all()
        )
    assert notes == {
        "ann@example.com": None,
        "bob@example.com": "ordered",
        "cid@example.com": "frequency cap",
    }  # Dee, unsubscribed, was not even enrolled: she no longer accepts marketing
    assert ("cid@example.com", StepStatus.PENDING) in states
