"""The web app: health, signing in, and the admin pages a signed-in user sees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.settings import load_settings
from shopcore import create_app
from shopcore.auth import create_user
from shopcore.customers import ContactDetails, match_customer
from shopcore.db import Database, make_engine, utcnow
from shopcore.enums import Role
from shopcore.migrate import head_revision, upgrade


@pytest.fixture
def app(db: Database) -> Iterator[Flask]:
    settings = load_settings(
        environ={},
        database_url=db.engine.url.render_as_string(hide_password=False),
        secret_key="test",
    )
    yield create_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _sign_in(client: FlaskClient, email: str, password: str) -> str:
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/admin/login",
        data={"csrf": token.group(1), "email": email, "password": password},
        follow_redirects=True,
    )
    return response.get_data(as_text=True)


def _user(db: Database, email: str = "m@shop.example", password: str = "s3cret-pass") -> None:
    with db.session() as session:
        create_user(session, email, role=Role.MANAGER, password=password)
        session.commit()


def test_health_says_the_database_is_migrated_and_jobs_run_in_process(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["database"]["revision"] == head_revision()
    assert body["queue"] == {"backend": "in-process", "ok": True}


def test_admin_pages_send_strangers_to_sign_in(client: FlaskClient) -> None:
    for path in ("/admin/", "/admin/customers", "/admin/customers/1"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/admin/login" in response.headers["Location"]


def test_a_wrong_password_is_refused_and_the_right_one_lets_you_in(
    client: FlaskClient, db: Database
) -> None:
    _user(db)
    assert "wrong password" in _sign_in(client, "m@shop.example", "nope-nope")
    assert "Orders by channel" in _sign_in(client, " M@Shop.Example", "s3cret-pass")


def test_a_form_without_its_csrf_token_is_refused(client: FlaskClient, db: Database) -> None:
    _user(db)
    response = client.post(
        "/admin/login", data={"email": "m@shop.example", "password": "s3cret-pass"}
    )
    assert response.status_code == 400


def test_the_customer_search_finds_a_phone_written_another_way(
    client: FlaskClient, db: Database
) -> None:
    _user(db)
    with db.session() as session:
        match_customer(
            session,
            ContactDetails(email="Ann@Example.com", phone="0151 1234 5678", last_name="Lee"),
            source="pos",
            region="DE",
            seen_at=utcnow(),
        )
        session.commit()
    _sign_in(client, "m@shop.example", "s3cret-pass")
    page = client.get("/admin/customers?q=%2B49%20151%2012345678").get_data(as_text=True)
    assert "ann@example.com" in page
    empty = client.get("/admin/customers?q=nobody@example.com").get_data(as_text=True)
    assert "No customers match" in empty


def test_health_is_unavailable_while_the_schema_is_behind_the_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    app = create_app(load_settings(environ={}, database_url=url, secret_key="test"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == {"ok": False, "backend": "sqlite", "revision": "0001"}
