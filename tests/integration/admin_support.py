"""What the admin tests share: users of each role, signing in, forms with their CSRF token."""

from __future__ import annotations

import json
import re
import time
from email.message import EmailMessage
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from shopcore.auth import create_user
from shopcore.db import Database
from shopcore.enums import Platform, Role
from shopcore.intake.signatures import sign_generic
from shopcore.models import Order, Source
from tests.factories import random_email, random_ref
from tests.integration.api_support import order_body

PASSWORD = "s3cret-pass"
WEBHOOK_SECRET = "hub-secret"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def add_user(db: Database, role: Role, *, email: str | None = None) -> str:
    """A new user of ``role`` with the shared test password; returns the email."""
    email = email or random_email()
    with db.session() as session:
        create_user(session, email, role=role, password=PASSWORD)
        session.commit()
    return email


def csrf_of(client: FlaskClient, path: str = "/admin/login") -> str:
    """The session's CSRF token, read from a page's form as a browser would."""
    found = _CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    return client.post(
        "/admin/login", data={"csrf": csrf_of(client), "email": email, "password": password}
    )


def signed_in(client: FlaskClient, db: Database, role: Role) -> FlaskClient:
    """``client`` signed in as a new user of ``role``."""
    response = sign_in(client, add_user(db, role))
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post_form(client: FlaskClient, path: str, **fields: Any) -> TestResponse:
    """POST a form to ``path`` with the session's CSRF token, as the page's form would."""
    return client.post(path, data={"csrf": csrf_of(client, "/admin/login"), **fields})


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def kept_email(
    html: str, plain: str, *, subject: str = "Hello", to: str = "ann@example.com"
) -> str:
    """The MIME text of an email as the outbox keeps it: plain text and HTML alternatives."""
    email = EmailMessage()
    email["From"] = "shop@example.com"
    email["To"] = to
    email["Subject"] = subject
    email.set_content(plain)
    email.add_alternative(html, subtype="html")
    return email.as_string()


def place_order(
    client: FlaskClient, auth: dict[str, str], lines: list[tuple[str, int]], **fields: Any
) -> int:
    """An order placed through the API (allocated all-or-nothing); returns its id."""
    response = client.post("/api/v1/orders", json=order_body(lines, **fields), headers=auth)
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def webhook_order(
    client: FlaskClient, db: Database, lines: list[tuple[str, int]], **fields: Any
) -> int:
    """An order sent by a generic webhook source (made here); returns its id."""
    name = random_ref("hub-")
    with db.session() as session:
        session.add(Source(name=name, platform=Platform.GENERIC, secret=WEBHOOK_SECRET))
        session.commit()
    body = json.dumps({"type": "order", "data": order_body(lines, **fields)}).encode()
    signature = sign_generic(body, WEBHOOK_SECRET, timestamp=int(time.time()))
    response = client.post(
        f"/webhooks/{name}", data=body, headers={"X-Shopcore-Signature": signature}
    )
    assert response.status_code < 300, response.get_json()
    with db.session() as session:
        found = session.scalar(select(Order.id).join(Source).where(Source.name == name))
    assert found is not None
    return found
