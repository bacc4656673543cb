"""The API against its own OpenAPI document: Schemathesis generates requests from the served
spec (valid and invalid ones) and checks that no answer is a 5xx and every answer conforms.

Runs on SQLite and on PostgreSQL (the stricter one: NUL characters, integer ranges), over a
seeded catalogue, derandomized so that a failure reproduces.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from config.settings import load_settings
from inventory.stock import set_on_hand
from shopcore import create_app
from shopcore.api.spec import document
from shopcore.auth import create_token
from shopcore.db import Base
from tests.factories import add_product, add_warehouses

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 40


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Flask, str]]:
    """The app on an empty database with a catalogue, stock, a token and an order."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("schema") / "shopcore.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
    app = create_app(load_settings(environ={}, database_url=url, secret_key="schema-test"))
    database = app.extensions["shopcore.db"]
    if database.dialect == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with database.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    with database.session() as session:
        token = create_token(session, "schemathesis")
        tea = add_product(session, "TEA-001", price="4.50")
        mug = add_product(session, "MUG-002", price="12.00")
        warehouses = add_warehouses(
            session, ("FC-N", 10, "online,wholesale"), ("STORE", 30, "retail")
        )
        for warehouse in warehouses.values():
            set_on_hand(session, tea.id, warehouse.id, 10_000)
            set_on_hand(session, mug.id, warehouse.id, 10_000)
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    order = {
        "external_id": "SEED-1",
        "channel": "online",
        "placed_at": "2026-12-01T10:00:00Z",
        "currency": "EUR",
        "customer": {"email": "ann@example.com"},
        "lines": [{"sku": "TEA-001", "quantity": 1, "unit_price": "4.50"}],
    }
    assert client.post("/api/v1/orders", json=order, headers=headers).status_code == 201
    yield app, token
    database.engine.dispose()


# The document the app serves (the first test checks that it is this one). Loaded at import
# rather than from a fixture: Schemathesis's lazy fixture loading does not run on pytest 9.
# The webhook endpoint has its own tests (signatures cannot be generated).
schema = schemathesis.openapi.from_dict(document()).exclude(path="/webhooks/{source}")


def test_the_served_document_is_the_one_tested(seeded: tuple[Flask, str]) -> None:
    app, _ = seeded
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == json.loads(json.dumps(document()))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_documented_and_none_is_a_server_error(
    case: schemathesis.Case, seeded: tuple[Flask, str]
) -> None:
    app, token = seeded
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
