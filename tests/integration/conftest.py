"""Fixtures of the API tests: the app, a client, a bearer token and a stocked shop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shopcore.db import Database
from tests.integration.api_support import Shop, bearer, make_app, make_token, open_shop


@pytest.fixture
def app(db: Database) -> Iterator[Flask]:
    yield make_app(db)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(db: Database) -> dict[str, str]:
    return bearer(make_token(db))


@pytest.fixture
def shop(db: Database) -> Shop:
    return open_shop(db)
