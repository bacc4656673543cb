"""Live orders hold stock: placed, accepted from stores, edited, cancelled, shipped, refunded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.allocation import InsufficientStock
from inventory.ledger import find_drift
from inventory.models import StockLevel, Warehouse
from inventory.stock import set_on_hand
from shopcore.canonical import parse_order
from shopcore.db import Database
from shopcore.enums import LineStatus, OrderStatus, Platform
from shopcore.models import Order, Source
from shopcore.ordering import (
    IncomingOrder,
    InvalidTransition,
    OrderExists,
    Outcome,
    UnknownSkus,
    accept_order,
    allocations_of,
    cancel_order,
    place_order,
    restock,
    ship_order,
)
from shopcore.stock_arrivals import receive_stock, set_stock, transfer_stock
from shopcore.transactions import run_in_transaction
from tests.factories import add_product, add_warehouses, random_ref

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def shop(db: Database) -> dict[str, Any]:
    """Tea and mugs in two fulfilment centres (online, wholesale) and one store (retail)."""
    with db.session() as session:
        tea, mug = add_product(session, "TEA"), add_product(session, "MUG")
        w = add_warehouses(
            session,
            ("FC-N", 10, "online,wholesale"),
            ("FC-S", 20, "online,wholesale"),
            ("STORE", 30, "retail"),
        )
        for code, tea_units, mug_units in (("FC-N", 2, 1), ("FC-S", 3, 0), ("STORE", 4, 4)):
            set_on_hand(session, tea.id, w[code].id, tea_units)
            set_on_hand(session, mug.id, w[code].id, mug_units)
        api = Source(name="api", platform=Platform.API)
        store = Source(name="shop", platform=Platform.SHOPIFY, secret="s")
        session.add_all([api, store])
        session.commit()
        return {"api": api, "store": store, "tea": tea.id, "mug": mug.id}


def order(lines: list[tuple[str, int]], **fields: Any) -> dict[str, Any]:
    return {
        "external_id": fields.pop("external_id", random_ref("A-")),
        "channel": fields.pop("channel", "online"),
        "placed_at": fields.pop("placed_at", T0.isoformat()),
        "currency": "EUR",
        "customer": {"email": "ann@example.com"},
        "lines": [{"sku": s, "quantity": q, "unit_price": "4.50"} for s, q in lines],
        **fields,
    }


def available(db: Database, sku_id: int) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(
            select(Warehouse.code, StockLevel.on_hand - StockLevel.allocated)
            .join(Warehouse)
            .where(StockLevel.product_id == sku_id)
        )
        return {code: int(n) for code, n in rows}


def place(db: Database, source: Source, data: dict[str, Any]) -> int:
    return run_in_transaction(
        db, lambda s: place_order(s, parse_order(data), source=source, region="DE").id
    )


def accept(db: Database, source: Source, data: dict[str, Any], **kw: Any) -> tuple[int, Outcome]:
    def work(session: Session) -> tuple[int, Outcome]:
        got = accept_order(
            session, IncomingOrder(parse_order(data), **kw), source=source, region="DE"
        )
        return got.order.id, got.outcome

    return run_in_transaction(db, work)


def status(db: Database, order_id: int) -> tuple[OrderStatus, list[LineStatus]]:
    with db.session() as session:
        found = session.get(Order, order_id)
        assert found is not None
        return found.status, [line.status for line in found.lines]


def test_an_order_one_warehouse_can_ship_is_allocated_there(db: Database, shop: dict) -> None:
    order_id = place(db, shop["api"], order([("TEA", 2), ("MUG", 1)]))
    with db.session() as session:
        assert allocations_of(session, order_id) == [
            {"sku": "MUG", "warehouse": "FC-N", "quantity": 1},
            {"sku": "TEA", "warehouse": "FC-N", "quantity": 2},
        ]
        assert find_drift(session) == []
    assert status(db, order_id)[0] == OrderStatus.ALLOCATED
    assert available(db, shop["tea"]) == {"FC-N": 0, "FC-S": 3, "STORE": 4}


def test_an_order_beyond_stock_is_refused_whole_and_leaves_nothing(
    db: Database, shop: dict
) -> None:
    with pytest.raises(InsufficientStock) as raised:
        place(db, shop["api"], order([("MUG", 1), ("TEA", 6)]))
    assert [(s.sku, s.requested, s.available) for s in raised.value.shortages] == [("TEA", 6, 5)]
    with db.session() as session:
        assert session.scalar(select(Order.id)) is None
    assert available(db, shop["tea"]) == {"FC-N": 2, "FC-S": 3, "STORE": 4}


def test_online_orders_never_take_the_retail_stores_stock_and_retail_takes_only_it(
    db: Database, shop: dict
) -> None:
    place(db, shop["api"], order([("TEA", 5)]))
    with pytest.raises(InsufficientStock):
        place(db, shop["api"], order([("TEA", 1)]))
    place(db, shop["api"], order([("TEA", 4)], channel="retail", warehouse="STORE"))
    assert available(db, shop["tea"]) == {"FC-N": 0, "FC-S": 0, "STORE": 0}


def test_unknown_skus_and_a_second_order_with_the_same_id_are_refused(
    db: Database, shop: dict
) -> None:
    with pytest.raises(UnknownSkus, match="NOPE"):
        place(db, shop["api"], order([("NOPE", 1)]))
    data = order([("TEA", 1)])
    first = place(db, shop["api"], data)
    with pytest.raises(OrderExists) as raised:
        place(db, shop["api"], data)
    assert raised.value.order_id == first


def test_cancelling_releases_stock_to_the_oldest_waiting_order_first(
    db: Database, shop: dict
) -> None:
    holder = place(db, shop["api"], order([("MUG", 1)]))
    later, _ = accept(
        db, shop["store"], order([("MUG", 1)], placed_at=(T0 + timedelta(hours=2)).isoformat())
    )
    earlier, _ = accept(
        db, shop["store"], order([("MUG", 1)], placed_at=(T0 + timedelta(hours=1)).isoformat())
    )
    assert status(db, earlier) == (OrderStatus.AWAITING_STOCK, [LineStatus.AWAITING_STOCK])
    run_in_transaction(db, lambda s: cancel_order(s, holder))
    assert status(db, holder)[0] == OrderStatus.CANCELLED
    assert status(db, earlier) == (OrderStatus.ALLOCATED, [LineStatus.ALLOCATED])
    assert status(db, later)[0] == OrderStatus.AWAITING_STOCK
    run_in_transaction(db, lambda s: set_stock(s, "MUG", "FC-S", 1))
    assert status(db, later)[0] == OrderStatus.ALLOCATED
    with db.session() as session:
        assert find_drift(session) == []


def test_shipping_takes_units_off_hand_and_only_allocated_orders_ship(
    db: Database, shop: dict
) -> None:
    order_id = place(db, shop["api"], order([("TEA", 2)]))
    run_in_transaction(db, lambda s: ship_order(s, order_id))
    assert status(db, order_id) == (OrderStatus.SHIPPED, [LineStatus.SHIPPED])
    with db.session() as session:
        level = session.scalars(
            select(StockLevel)
            .join(Warehouse)
            .where(Warehouse.code == "FC-N", StockLevel.product_id == shop["tea"])
        ).one()
        assert (level.on_hand, level.allocated) == (0, 0)
        assert find_drift(session) == []
    with pytest.raises(InvalidTransition):
        run_in_transaction(db, lambda s: cancel_order(s, order_id))


def test_a_store_order_beyond_stock_is_recorded_and_waits_for_the_rest(
    db: Database, shop: dict
) -> None:
    order_id, outcome = accept(db, shop["store"], order([("TEA", 7), ("GHOST", 1)]))
    assert outcome == Outcome.CREATED
    assert status(db, order_id) == (
        OrderStatus.AWAITING_STOCK,
        [LineStatus.AWAITING_STOCK, LineStatus.UNKNOWN_SKU],
    )
    assert available(db, shop["tea"]) == {"FC-N": 0, "FC-S": 0, "STORE": 4}
    run_in_transaction(db, lambda s: set_stock(s, "TEA", "FC-S", 5))
    assert status(db, order_id)[1] == [LineStatus.ALLOCATED, LineStatus.UNKNOWN_SKU]


def test_an_older_version_never_overwrites_a_newer_one(db: Database, shop: dict) -> None:
    data = order([("TEA", 1)])
    order_id, _ = accept(db, shop["store"], data, version=T0)
    accept(db, shop["store"], data, version=T0 + timedelta(minutes=5), status=OrderStatus.CANCELLED)
    _, outcome = accept(
        db,
        shop["store"],
        order([("TEA", 3)], external_id=data["external_id"]),
        version=T0 + timedelta(minutes=1),
    )
    assert outcome == Outcome.STALE
    assert status(db, order_id) == (OrderStatus.CANCELLED, [LineStatus.CANCELLED])
    assert available(db, shop["tea"])["FC-N"] == 2


def test_an_edit_allocates_only_the_difference_and_releases_what_is_no_longer_wanted(
    db: Database, shop: dict
) -> None:
    data = order([("TEA", 1), ("MUG", 1)])
    order_id, _ = accept(db, shop["store"], data, version=T0)
    more = order([("TEA", 4), ("MUG", 1)], external_id=data["external_id"])
    _, outcome = accept(db, shop["store"], more, version=T0 + timedelta(minutes=1))
    assert outcome == Outcome.UPDATED
    with db.session() as session:
        assert allocations_of(session, order_id) == [
            {"sku": "MUG", "warehouse": "FC-N", "quantity": 1},
            {"sku": "TEA", "warehouse": "FC-N", "quantity": 1},
            {"sku": "TEA", "warehouse": "FC-S", "quantity": 3},
        ]
    fewer = order([("TEA", 1)], external_id=data["external_id"])
    accept(db, shop["store"], fewer, version=T0 + timedelta(minutes=2))
    assert available(db, shop["tea"]) == {"FC-N": 1, "FC-S": 3, "STORE": 4}
    assert available(db, shop["mug"])["FC-N"] == 1
    with db.session() as session:
        assert find_drift(session) == []


def test_test_orders_are_recorded_but_never_touch_stock(db: Database, shop: dict) -> None:
    order_id, _ = accept(db, shop["store"], order([("TEA", 2)]), is_test=True)
    with db.session() as session:
        found = session.get(Order, order_id)
        assert found is not None and found.is_test
    assert available(db, shop["tea"])["FC-N"] == 2


def test_a_refund_with_restock_puts_shipped_units_back(db: Database, shop: dict) -> None:
    order_id = place(db, shop["api"], order([("TEA", 2)]))
    run_in_transaction(db, lambda s: ship_order(s, order_id))
    run_in_transaction(db, lambda s: restock(s, _load(s, order_id), {"TEA": 1}))
    assert available(db, shop["tea"])["FC-N"] == 1
    with db.session() as session:
        assert find_drift(session) == []


def _load(session: Session, order_id: int) -> Order:
    found = session.get(Order, order_id)
    assert found is not None
    return found


def test_a_receipt_and_a_transfer_serve_waiting_orders_first_come_first_served(
    db: Database, shop: dict
) -> None:
    first, _ = accept(db, shop["store"], order([("MUG", 2)]))
    second, _ = accept(
        db, shop["store"], order([("MUG", 1)], placed_at=(T0 + timedelta(hours=1)).isoformat())
    )
    assert status(db, first)[0] == OrderStatus.AWAITING_STOCK
    run_in_transaction(db, lambda s: receive_stock(s, "MUG", "FC-S", 1))
    assert status(db, first)[0] == OrderStatus.ALLOCATED
    assert status(db, second)[0] == OrderStatus.AWAITING_STOCK
    run_in_transaction(db, lambda s: transfer_stock(s, "MUG", "STORE", "FC-N", 1))
    assert status(db, second)[0] == OrderStatus.ALLOCATED
    assert available(db, shop["mug"]) == {"FC-N": 0, "FC-S": 0, "STORE": 3}
    with db.session() as session:
        assert find_drift(session) == []
