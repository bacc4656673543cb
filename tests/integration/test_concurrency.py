"""Concurrent orders for the last units never oversell, on PostgreSQL under many clients.

Sixteen clients on their own connections are released together. They place API orders and
deliver webhook orders (each delivered twice, by different clients) for three hot SKUs spread
over three warehouses, with multi-line orders naming the SKUs in opposite orders. Afterwards
no warehouse is over-allocated, every allocated figure equals its allocation rows, every unit
is sold, each external id is one order, and no client saw a database error.

The second test runs the same scenario with a naive read-then-write allocator and checks that
the same invariants catch its oversell: the proof that the first test can fail.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inventory.allocation import InsufficientStock, LineRequest, Plan, StockView, choose_warehouses
from inventory.models import Allocation, AllocationStatus, StockLevel, Warehouse
from inventory.stock import LineToAllocate, set_on_hand
from shopcore import order_stock
from shopcore.canonical import parse_order
from shopcore.db import Database
from shopcore.enums import Channel, Platform
from shopcore.models import Order, Source
from shopcore.ordering import IncomingOrder, accept_order, place_order
from shopcore.transactions import run_in_transaction
from tests.factories import add_product, add_warehouses

pytestmark = pytest.mark.postgres

CLIENTS = 16
SKUS = ("HOT-1", "HOT-2", "HOT-3")
UNITS_PER_WAREHOUSE = 2
WAREHOUSES = ("FC-A", "FC-B", "FC-C")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _stock_the_shop(db: Database) -> dict[str, Source]:
    with db.session() as session:
        products = [add_product(session, sku) for sku in SKUS]
        warehouses = add_warehouses(
            session, *((code, 10 * (i + 1), "online") for i, code in enumerate(WAREHOUSES))
        )
        for product in products:
            for warehouse in warehouses.values():
                set_on_hand(session, product.id, warehouse.id, UNITS_PER_WAREHOUSE)
        api = Source(name="api", platform=Platform.API)
        store = Source(name="store", platform=Platform.SHOPIFY, secret="x")
        session.add_all([api, store])
        session.commit()
        return {"api": api, "store": store}


def _order(external_id: str, skus: list[str], minute: int) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "channel": "online",
        "placed_at": (T0 + timedelta(minutes=minute)).isoformat(),
        "currency": "EUR",
        "customer": {"email": f"{external_id.lower()}@example.com"},
        "lines": [{"sku": sku, "quantity": 1, "unit_price": "9.00"} for sku in skus],
    }


def _calls(sources: dict[str, Source]) -> list[tuple[str, dict[str, Any]]]:
    """API orders and twice-delivered webhook orders whose demand exceeds the stock."""
    rng = random.Random(7)
    calls: list[tuple[str, dict[str, Any]]] = []
    for n in range(48):
        skus = rng.sample(SKUS, 2)  # two SKUs in random order: opposite orders are common
        calls += [("webhook", _order(f"W-{n}", skus, n))] * 2
    for n in range(16):
        calls.append(("api", _order(f"A-{n}", rng.sample(SKUS, 2), n)))
    rng.shuffle(calls)
    return calls


def _run_clients(db: Database, sources: dict[str, Source]) -> list[BaseException]:
    calls = _calls(sources)
    barrier = threading.Barrier(CLIENTS)
    errors: list[BaseException] = []

    def client(mine: list[tuple[str, dict[str, Any]]]) -> None:
        barrier.wait()
        for kind, data in mine:
            order = parse_order(data)
            try:
                if kind == "api":
                    run_in_transaction(
                        db,
                        lambda s, o=order: place_order(  # type: ignore[misc]
                            s, o, source=sources["api"], region="DE"
                        ),
                    )
                else:
                    run_in_transaction(
                        db,
                        lambda s, o=order: accept_order(  # type: ignore[misc]
                            s, IncomingOrder(o), source=sources["store"], region="DE"
                        ),
                    )
            except InsufficientStock:
                pass  # the API's all-or-nothing answer: a 409, not an error
            except BaseException as e:  # anything else reached the client
                errors.append(e)

    threads = [threading.Thread(target=client, args=(calls[i::CLIENTS],)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def _violations(session: Session) -> list[str]:
    found = []
    held = dict(
        session.execute(
            select(
                Allocation.product_id.concat(":").concat(Allocation.warehouse_id),
                func.sum(Allocation.quantity),
            )
            .where(Allocation.status == AllocationStatus.ACTIVE)
            .group_by(Allocation.product_id, Allocation.warehouse_id)
        ).all()
    )
    for level in session.scalars(select(StockLevel)):
        rows = int(held.get(f"{level.product_id}:{level.warehouse_id}", 0))
        if rows > level.on_hand:
            found.append(f"oversold: {rows} allocated of {level.on_hand} (level {level.id})")
        if rows != level.allocated:
            found.append(f"level {level.id} says {level.allocated}, its allocations {rows}")
    duplicates = session.execute(
        select(Order.external_id, func.count())
        .group_by(Order.source_id, Order.external_id)
        .having(func.count() > 1)
    ).all()
    found += [f"{external_id} recorded {n} times" for external_id, n in duplicates]
    return found


def test_sixteen_clients_racing_for_the_last_units_never_oversell(pg_db: Database) -> None:
    sources = _stock_the_shop(pg_db)
    errors = _run_clients(pg_db, sources)
    assert errors == [], f"{len(errors)} errors reached clients, first: {errors[:1]!r}"
    with pg_db.session() as session:
        assert _violations(session) == []
        levels = session.scalars(select(StockLevel)).all()
        assert all(level.allocated == level.on_hand for level in levels), "units left unsold"
        webhook_orders = session.scalar(
            select(func.count(Order.id)).where(Order.external_id.like("W-%"))
        )
        assert webhook_orders == 48  # each recorded once, however often it was delivered


def _naive_allocate_lines(
    session: Session,
    *,
    order_id: int,
    channel: Channel,
    warehouse_id: int | None,
    lines: list[LineToAllocate],
    partial: bool,
) -> Plan:
    """Read availability, decide, write the figure back: what this test must catch."""
    if not lines:
        return Plan([], [])
    rows = session.execute(
        select(
            StockLevel.id,
            StockLevel.product_id,
            Warehouse.code,
            Warehouse.priority,
            StockLevel.on_hand,
            StockLevel.allocated,
        )
        .join(Warehouse)
        .where(StockLevel.product_id.in_([line.product_id for line in lines]))
    ).all()
    sku_of = {line.product_id: line.sku for line in lines}
    plan = choose_warehouses(
        [LineRequest(line.line_id, line.sku, line.quantity) for line in lines],
        [StockView(code, prio, sku_of[p], on - al) for _, p, code, prio, on, al in rows],
        partial=partial,
    )
    time.sleep(0.002)  # the time a real request spends between its read and its write
    level = {(sku_of[p], code): (level_id, al) for level_id, p, code, _, _, al in rows}
    warehouse_ids = {
        code: wid for code, wid in session.execute(select(Warehouse.code, Warehouse.id))
    }
    for pick in plan.picks:
        level_id, allocated = level[pick.sku, pick.warehouse]
        session.execute(
            update(StockLevel)
            .where(StockLevel.id == level_id)
            .values(allocated=allocated + pick.quantity)
        )
        product_id = next(line.product_id for line in lines if line.sku == pick.sku)
        session.add(
            Allocation(
                order_id=order_id,
                order_line_id=pick.line,
                product_id=product_id,
                warehouse_id=warehouse_ids[pick.warehouse],
                quantity=pick.quantity,
                status=AllocationStatus.ACTIVE,
            )
        )
    return plan


def test_the_same_checks_catch_a_naive_read_then_write_allocator(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_stock, "allocate_lines", _naive_allocate_lines)
    sources = _stock_the_shop(pg_db)
    _run_clients(pg_db, sources)
    with pg_db.session() as session:
        found = _violations(session)
    assert any(v.startswith("oversold") for v in found), found
