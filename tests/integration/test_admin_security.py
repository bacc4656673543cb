"""Admin security: CSRF, throttled sign-ins (in-process and on Redis), headers, cookies, hashes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from config.settings import load_settings
from shopcore import TEMPLATES, create_app
from shopcore.admin.security import CONTENT_SECURITY_POLICY
from shopcore.admin.throttle import KEY_PREFIX, LIMIT, WINDOW_SECONDS
from shopcore.auth import PASSWORD_METHOD
from shopcore.db import Database
from shopcore.enums import OrderStatus, Role
from shopcore.models import AdminUser, Order
from tests.integration.admin_support import (
    PASSWORD,
    add_user,
    csrf_of,
    place_order,
    sign_in,
    signed_in,
    text,
)
from tests.integration.api_support import Shop

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def app_on(db: Database, **settings: str) -> Flask:
    url = db.engine.url.render_as_string(hide_password=False)
    return create_app(load_settings(environ={}, database_url=url, secret_key="test", **settings))


def client_from(app: Flask, address: str) -> FlaskClient:
    """A client whose requests come from ``address`` (only ever loopback ones here)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def fail_sign_ins(client: FlaskClient, email: str, times: int) -> None:
    for _ in range(times):
        assert sign_in(client, email, "wrong-password").status_code == 200


# CSRF


def test_a_form_without_its_csrf_token_or_with_another_is_refused(
    client: FlaskClient, db: Database, shop: Shop, auth: dict[str, str]
) -> None:
    order_id = place_order(client, auth, [(shop.tea, 1)])
    signed_in(client, db, Role.MANAGER)
    for data in ({}, {"csrf": ""}, {"csrf": "forged-token"}):
        response = client.post(f"/admin/orders/{order_id}/cancel", data=data)
        assert response.status_code == 400
        assert "form expired" in text(response)
    assert client.post("/admin/logout").status_code == 400
    with db.session() as session:
        order = session.get(Order, order_id)
        assert order is not None and order.status == OrderStatus.ALLOCATED


def test_signing_in_starts_a_new_session_with_a_new_csrf_token(
    client: FlaskClient, db: Database
) -> None:
    before = csrf_of(client)
    signed_in(client, db, Role.VIEWER)
    after = csrf_of(client)
    assert after != before
    response = client.post("/admin/logout", data={"csrf": before})
    assert response.status_code == 400


# Throttled sign-ins


def test_ten_failures_for_one_email_lock_it_even_with_the_right_password(
    app: Flask, db: Database
) -> None:
    email = add_user(db, Role.MANAGER)
    guesser = client_from(app, "127.0.0.2")
    fail_sign_ins(guesser, email, LIMIT)
    owner = client_from(app, "127.0.0.3")
    refused = sign_in(owner, email)
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert "Too many failed attempts" in text(refused)
    assert 0 < int(refused.headers["Retry-After"]) <= WINDOW_SECONDS
    other = add_user(db, Role.MANAGER)
    assert sign_in(owner, other).status_code == 302


def test_ten_failures_from_one_address_lock_it_for_every_email(app: Flask, db: Database) -> None:
    guesser = client_from(app, "127.0.0.4")
    for n in range(LIMIT):
        assert sign_in(guesser, f"guess{n}@shop.example", "wrong-password").status_code == 200
    email = add_user(db, Role.VIEWER)
    assert sign_in(guesser, email).status_code == 429
    assert sign_in(client_from(app, "127.0.0.5"), email).status_code == 302


def test_a_success_forgives_the_email_but_not_the_address(app: Flask, db: Database) -> None:
    email = add_user(db, Role.VIEWER)
    client = client_from(app, "127.0.0.6")
    fail_sign_ins(client, email, LIMIT - 1)
    assert sign_in(client, email).status_code == 302
    fail_sign_ins(client_from(app, "127.0.0.7"), email, LIMIT - 1)
    assert sign_in(client_from(app, "127.0.0.8"), email).status_code == 302
    assert sign_in(client, "someone@shop.example", "wrong").status_code == 200
    assert sign_in(client, email).status_code == 429


@pytest.mark.redis
def test_on_redis_every_worker_sees_the_same_failures(db: Database, redis_url: str) -> None:
    email = add_user(db, Role.MANAGER)
    worker_a = app_on(db, redis_url=redis_url)
    worker_b = app_on(db, redis_url=redis_url)
    fail_sign_ins(client_from(worker_a, "127.0.0.9"), email, LIMIT)
    assert sign_in(client_from(worker_b, "127.0.0.10"), email).status_code == 429
    assert sign_in(client_from(worker_b, "127.0.0.9"), add_user(db, Role.VIEWER)).status_code == 429
    redis = Redis.from_url(redis_url)
    keys = sorted(k.decode() for k in redis.keys(KEY_PREFIX + "*"))
    assert f"{KEY_PREFIX}ip:127.0.0.9" in keys
    assert not any(email in key for key in keys), "emails are stored hashed"
    assert all(0 < redis.ttl(key) <= WINDOW_SECONDS for key in keys)
    redis.close()


# Headers and cookies


def test_every_response_carries_the_security_headers(client: FlaskClient, db: Database) -> None:
    paths = ["/admin/login", "/healthz", "/api/v1/openapi.json", "/static/admin.css", "/nowhere"]
    for path in paths:
        response = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
    signed_in(client, db, Role.VIEWER)
    page = client.get("/admin/orders")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_no_admin_template_has_inline_scripts_styles_or_handlers() -> None:
    # The Content-Security-Policy would block them: styles and scripts live in static files.
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)
    for path in sorted((TEMPLATES / "admin").glob("*.html")):
        found = inline.search(path.read_text())
        assert found is None, f"{path.name}: {found.group(0) if found else ''}"
    assert (Path(TEMPLATES) / "static" / "admin.js").exists()


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(db: Database) -> None:
    email = add_user(db, Role.VIEWER)
    for base_url, secure in (("http://127.0.0.1:5000", False), ("https://shop.example", True)):
        client = app_on(db, base_url=base_url).test_client()
        response = sign_in(client, email)
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


# Password hashes


def test_new_passwords_are_hashed_with_scrypt(db: Database) -> None:
    email = add_user(db, Role.VIEWER)
    with db.session() as session:
        user = session.scalar(select(AdminUser).where(AdminUser.email == email))
        assert user is not None and user.password_hash.startswith(PASSWORD_METHOD + "$")


def test_an_older_hash_is_upgraded_when_its_user_signs_in(
    client: FlaskClient, db: Database
) -> None:
    email = add_user(db, Role.MANAGER)
    old = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with db.session() as session:
        user = session.scalar(select(AdminUser).where(AdminUser.email == email))
        assert user is not None
        user.password_hash = old
        session.commit()
    assert sign_in(client, email, "wrong-password").status_code == 200
    with db.session() as session:
        assert (
            session.scalar(select(AdminUser.password_hash).where(AdminUser.email == email)) == old
        )
    assert sign_in(client, email).status_code == 302
    with db.session() as session:
        upgraded = session.scalar(select(AdminUser.password_hash).where(AdminUser.email == email))
    assert upgraded is not None and upgraded.startswith(PASSWORD_METHOD + "$")
    client.post("/admin/logout", data={"csrf": csrf_of(client)})
    assert sign_in(client, email).status_code == 302


def test_behind_a_trusted_proxy_the_throttle_counts_the_forwarded_client(db: Database) -> None:
    app = app_on(db, proxy_hops="1")
    proxy_says = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    guesser = client_from(app, "127.0.0.20")
    guesser.environ_base.update(proxy_says)
    for n in range(LIMIT):
        assert sign_in(guesser, f"guess{n}@shop.example", "wrong-password").status_code == 200
    email = add_user(db, Role.VIEWER)
    assert sign_in(guesser, email).status_code == 429
    # Another client through the same proxy is someone else.
    other = client_from(app, "127.0.0.20")
    other.environ_base.update({"HTTP_X_FORWARDED_FOR": "198.51.100.4"})
    assert sign_in(other, email).status_code == 302


def test_without_trusted_proxies_a_forwarded_address_is_ignored(db: Database) -> None:
    app = app_on(db)
    for n in range(LIMIT):
        client = client_from(app, "127.0.0.21")
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n}"
        assert sign_in(client, f"guess{n}@shop.example", "wrong-password").status_code == 200
    assert sign_in(client_from(app, "127.0.0.21"), add_user(db, Role.VIEWER)).status_code == 429
