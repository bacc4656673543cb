"""Every admin route, found on the app's URL map, with each role and with no one signed in.

A route added later is walked too: the test fills its path from ``PATH_IDS`` (and says so
when it meets a parameter it has no id for) and checks the role its view declares.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from retention.defaults import install_defaults
from retention.models import EmailTemplate, OutboxEmail, Trigger
from shopcore.admin.access import RANKS, ROLE_ATTRIBUTE
from shopcore.db import Database
from shopcore.enums import OrderStatus, Role
from shopcore.models import ApiToken, Order
from tests.integration.admin_support import (
    csrf_of,
    kept_email,
    place_order,
    signed_in,
    webhook_order,
)
from tests.integration.api_support import Shop
from tests.retention_factories import add_message

# Routes anyone may use: signing in and out.
PUBLIC = {"admin.login", "admin.logout"}
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# What a curious or careless user may put in a query string; no page may fail on it.
ODD_QUERY = {
    "after": "x'--",
    "before": "-1",
    "page": "99999999999999999999",
    "q": "%_\\'",
    "channel": "nope",
    "status": "ALLOCATED",
    "source": "no-such-source",
    "from": "2026-13-40",
    "to": "0001-01-01",
    "email": "not-an-email",
    "sku": "x" * 300,
    "warehouse": "??",
    "kind": "theft",
    "order": "99999999999999",
    "threshold": "-5",
    "months": "999",
    "cell": "QQ",
    "days": "-3",
    "queue": "../../etc",
}
# Path parameters that are names rather than ids.
PATH_NAMES = {"segment": "champions"}


def admin_rules(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")),
        key=lambda rule: rule.rule,
    )


def required_role(app: Flask, rule: Rule) -> Role | None:
    view = app.view_functions[rule.endpoint]
    return getattr(view, ROLE_ATTRIBUTE, None)


def path_of(rule: Rule, ids: dict[str, int]) -> str:
    values = {**PATH_NAMES, **ids}
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: add an id for {sorted(missing)} to the access test"
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def methods_of(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


@pytest.fixture
def ids(client: FlaskClient, db: Database, shop: Shop, auth: dict[str, str]) -> dict[str, int]:
    """Ids of real rows for every path parameter of the admin's routes."""
    order_id = place_order(client, auth, [(shop.tea, 1)])
    webhook_order(client, db, [(shop.mug, 1)])
    with db.session() as session:
        customer_id = session.scalar(select(Order.customer_id).where(Order.id == order_id))
        install_defaults(session)
        trigger_id = session.scalar(select(func.min(Trigger.id)))
        template_id = session.scalar(select(func.min(EmailTemplate.id)))
        token_id = session.scalar(select(ApiToken.id))
        message = add_message(session)
        kept = OutboxEmail(message_id=message.id, raw=kept_email("<p>Hello</p>", "Hello"))
        session.add(kept)
        session.commit()
        message_id, outbox_id = message.id, kept.id
    assert customer_id is not None and trigger_id is not None and template_id is not None
    assert token_id is not None
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "trigger_id": trigger_id,
        "template_id": template_id,
        "version": 1,
        "message_id": message_id,
        "outbox_id": outbox_id,
        "token_id": token_id,
    }


def test_every_admin_route_declares_the_least_role_it_needs(app: Flask) -> None:
    undeclared = [
        rule.rule
        for rule in admin_rules(app)
        if rule.endpoint not in PUBLIC and required_role(app, rule) is None
    ]
    assert undeclared == []
    admin_only = [r.endpoint for r in admin_rules(app) if required_role(app, r) == Role.ADMIN]
    assert {"admin.users", "admin.jobs", "admin.sources", "admin.tokens"} <= set(admin_only)


def test_strangers_are_sent_to_sign_in_from_every_admin_route(
    app: Flask, client: FlaskClient, ids: dict[str, int]
) -> None:
    csrf = csrf_of(client)
    for rule in admin_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        path = path_of(rule, ids)
        for method in methods_of(rule):
            data = {"csrf": csrf} if method in WRITES else None
            response = client.open(path, method=method, data=data)
            assert response.status_code == 302, (method, path, response.status_code)
            assert response.headers["Location"].startswith("/admin/login"), (method, path)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_what_it_may_and_gets_403_elsewhere(
    app: Flask, client: FlaskClient, db: Database, ids: dict[str, int], role: Role
) -> None:
    signed_in(client, db, role)
    csrf = csrf_of(client)
    for rule in admin_rules(app):
        needed = required_role(app, rule)
        if needed is None:
            continue
        path = path_of(rule, ids)
        for method in methods_of(rule):
            writes = method in WRITES
            allowed = RANKS[role] >= RANKS[needed] and not (writes and role == Role.VIEWER)
            response = client.open(path, method=method, data={"csrf": csrf} if writes else None)
            where = (role.value, method, path, response.status_code)
            assert response.status_code < 500, where
            if not allowed:
                assert response.status_code == 403, where
            elif writes:
                assert response.status_code != 403, where
            else:
                assert response.status_code == 200, where


def test_a_viewer_posting_any_form_gets_403_and_changes_nothing(
    app: Flask, client: FlaskClient, db: Database, ids: dict[str, int]
) -> None:
    signed_in(client, db, Role.VIEWER)
    csrf = csrf_of(client)
    posted = 0
    for rule in admin_rules(app):
        if rule.endpoint in PUBLIC or "POST" not in methods_of(rule):
            continue
        response = client.post(path_of(rule, ids), data={"csrf": csrf, "on_hand": "0"})
        assert response.status_code == 403, rule.rule
        posted += 1
    assert posted >= 4
    with db.session() as session:
        order = session.get(Order, ids["order_id"])
        assert order is not None and order.status == OrderStatus.ALLOCATED


def test_a_manager_is_refused_the_admin_only_pages(
    app: Flask, client: FlaskClient, db: Database, ids: dict[str, int]
) -> None:
    signed_in(client, db, Role.MANAGER)
    admin_only = [r for r in admin_rules(app) if required_role(app, r) == Role.ADMIN]
    assert admin_only
    csrf = csrf_of(client)
    for rule in admin_only:
        for method in methods_of(rule):
            data = {"csrf": csrf} if method in WRITES else None
            response = client.open(path_of(rule, ids), method=method, data=data)
            assert response.status_code == 403, (method, rule.rule)


def test_no_admin_page_fails_on_odd_query_strings(
    app: Flask, client: FlaskClient, db: Database, ids: dict[str, int]
) -> None:
    signed_in(client, db, Role.ADMIN)
    for rule in admin_rules(app):
        if "GET" not in methods_of(rule):
            continue
        path = path_of(rule, ids)
        response = client.get(path, query_string=ODD_QUERY)
        assert response.status_code < 500, (path, response.status_code)
        nul = client.get(path, query_string={"q": "tea\x00"})
        assert nul.status_code == 400, path


def test_ids_too_large_for_the_database_are_404_not_500(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, Role.ADMIN)
    for path in ("/admin/orders/99999999999", "/admin/customers/99999999999"):
        assert client.get(path).status_code == 404
