"""Stock counts, receipts and transfers, always explained by the movement ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inventory.ledger import find_drift
from inventory.models import StockLevel, StockMovement
from inventory.stock import receive, set_on_hand, transfer
from shopcore.db import Database
from tests.factories import add_product, add_warehouses


def _on_hand(session: Session, product_id: int, warehouse_id: int) -> int:
    return session.scalars(
        select(StockLevel.on_hand).where(
            StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id
        )
    ).one()


def test_a_count_sets_the_figure_and_records_the_difference_once(db: Database) -> None:
    with db.session() as session:
        product = add_product(session)
        fc = add_warehouses(session, ("FC", 10, "online"))["FC"]
        first = set_on_hand(session, product.id, fc.id, 12)
        again = set_on_hand(session, product.id, fc.id, 12)
        lower = set_on_hand(session, product.id, fc.id, 9)
        session.commit()
        assert first is not None and first.on_hand_delta == 12
        assert again is None
        assert lower is not None and lower.on_hand_delta == -3
        assert _on_hand(session, product.id, fc.id) == 9
        assert session.scalar(select(func.count(StockMovement.id))) == 2
        assert find_drift(session) == []


def test_a_transfer_moves_units_and_cannot_move_more_than_there_is(db: Database) -> None:
    with db.session() as session:
        product = add_product(session)
        w = add_warehouses(session, ("FC", 10, "online"), ("STORE", 30, "retail"))
        receive(session, product.id, w["FC"].id, 5)
        transfer(session, product.id, w["FC"].id, w["STORE"].id, 2)
        session.commit()
        assert _on_hand(session, product.id, w["FC"].id) == 3
        assert _on_hand(session, product.id, w["STORE"].id) == 2
        with pytest.raises(ValueError, match="only 3 available"):
            transfer(session, product.id, w["FC"].id, w["STORE"].id, 4)


def test_stock_check_reports_a_figure_the_ledger_does_not_explain(db: Database) -> None:
    with db.session() as session:
        product = add_product(session)
        fc = add_warehouses(session, ("FC", 10, "online"))["FC"]
        receive(session, product.id, fc.id, 5)
        session.commit()
        session.execute(StockLevel.__table__.update().values(on_hand=7))
        session.commit()
        (drift,) = find_drift(session)
        assert (drift.on_hand, drift.ledger_on_hand) == (7, 5)
        assert "on_hand 7 (ledger 5)" in drift.describe()


def test_the_database_refuses_a_count_below_what_is_allocated(db: Database) -> None:
    with db.session() as session:
        product = add_product(session)
        fc = add_warehouses(session, ("FC", 10, "online"))["FC"]
        session.add(StockLevel(product_id=product.id, warehouse_id=fc.id, on_hand=5, allocated=4))
        session.commit()
        with pytest.raises(IntegrityError):
            session.execute(StockLevel.__table__.update().values(on_hand=3))
