"""The migrated schema is the model's, and the database itself guards the invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inventory.models import StockLevel
from inventory.warehouses import add_warehouse
from shopcore.db import Base, Database
from shopcore.enums import Channel, IdentityKind
from shopcore.models import Customer, CustomerIdentity, Product
from tests.factories import random_sku


def _product(session: Session) -> Product:
    product = Product(sku=random_sku(), name="Sencha", price=Decimal("4.50"), category="tea")
    session.add(product)
    return product


def test_migrations_produce_exactly_the_models_schema(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_database_refuses_stock_allocated_beyond_what_is_on_hand(db: Database) -> None:
    with db.session() as session:
        warehouse = add_warehouse(session, "fc1", name="FC", priority=1, channels=[Channel.ONLINE])
        product = _product(session)
        session.flush()
        session.add(
            StockLevel(product_id=product.id, warehouse_id=warehouse.id, on_hand=2, allocated=3)
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_an_email_identity_belongs_to_one_customer_only(db: Database) -> None:
    with db.session() as session:
        for _ in range(2):
            customer = Customer()
            customer.identities.append(
                CustomerIdentity(kind=IdentityKind.EMAIL, scope="", value="ann@example.com")
            )
            session.add(customer)
        with pytest.raises(IntegrityError):
            session.commit()


def test_times_come_back_aware_in_utc_and_money_as_exact_decimals(db: Database) -> None:
    berlin = timezone(timedelta(hours=1))
    placed = datetime(2026, 12, 1, 11, 0, tzinfo=berlin)
    with db.session() as session:
        customer = Customer(first_order_at=placed, total_spent=Decimal("1234567.89"))
        session.add(customer)
        session.commit()
        customer_id = customer.id
    with db.session() as session:
        loaded = session.get(Customer, customer_id)
        assert loaded is not None
        assert loaded.first_order_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
        assert loaded.first_order_at.tzinfo == UTC
        assert loaded.total_spent == Decimal("1234567.89")


def test_a_naive_datetime_is_refused_rather_than_guessed(db: Database) -> None:
    with db.session() as session:
        session.add(Customer(first_order_at=datetime(2026, 12, 1, 10, 0)))
        with pytest.raises(Exception, match="naive datetime"):
            session.commit()
