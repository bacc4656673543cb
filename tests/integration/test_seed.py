"""Seeding a store: reproducible, realistic and consistent data, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from inventory.models import StockLevel, StockMovement, Warehouse
from shopcore.db import Base, Database, make_engine
from shopcore.enums import CartStatus, Channel, IdentityKind, LineStatus, OrderStatus
from shopcore.identity import normalize_email, normalize_phone
from shopcore.migrate import upgrade
from shopcore.models import Cart, Customer, CustomerIdentity, Order, OrderLine, Product
from shopcore.orders import UNCOUNTED, refresh_customer_totals
from shopcore.seed import StoreNotEmpty, seed_store

TODAY = date(2026, 6, 15)
PEOPLE = 300


@pytest.fixture
def seeded(db: Database) -> Database:
    seed_store(db, customers=PEOPLE, seed=7, today=TODAY)
    return db


@pytest.fixture
def other_store(tmp_path: Path) -> Iterator[Database]:
    """A second empty store, to seed and compare with the first."""
    engine = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    upgrade(engine)
    yield Database(engine, sessionmaker(engine, expire_on_commit=False))
    engine.dispose()


def fingerprint(db: Database) -> str:
    """A digest of who the customers are and what they ordered when, for any backend."""
    digest = hashlib.sha256()
    with db.session() as session:
        customers = select(Customer.id, Customer.email, Customer.phone, Customer.total_spent)
        for row in session.execute(customers.order_by(Customer.id)):
            digest.update(f"{row.id}|{row.email}|{row.phone}|{row.total_spent:.2f}".encode())
        orders = select(Order.id, Order.customer_id, Order.placed_at, Order.total)
        for order in session.execute(orders.order_by(Order.id)):
            digest.update(f"{order.id}|{order.customer_id}|{order.placed_at.isoformat()}".encode())
            digest.update(f"{order.total:.2f}".encode())
        for (raw,) in session.execute(
            select(CustomerIdentity.first_seen_raw).order_by(CustomerIdentity.id)
        ):
            digest.update(f"{raw}".encode())
    return digest.hexdigest()


def test_the_same_seed_gives_the_same_store(seeded: Database, other_store: Database) -> None:
    seed_store(other_store, customers=PEOPLE, seed=7, today=TODAY)
    assert fingerprint(other_store) == fingerprint(seeded)


def test_another_seed_gives_another_store(seeded: Database, other_store: Database) -> None:
    seed_store(other_store, customers=PEOPLE, seed=8, today=TODAY)
    assert fingerprint(other_store) != fingerprint(seeded)


def test_the_summary_counts_what_was_written_and_progress_hears_of_every_customer(
    db: Database,
) -> None:
    heard: list[int] = []
    summary = seed_store(db, customers=PEOPLE, seed=7, today=TODAY, progress=heard.append)
    with db.session() as session:

        def count(model: type[Base]) -> int:
            return session.scalar(select(func.count()).select_from(model)) or 0

        assert summary.customers == count(Customer) == sum(heard) == PEOPLE
        assert summary.orders == count(Order)
        assert summary.order_lines == count(OrderLine)
        assert summary.identities == count(CustomerIdentity)
        assert summary.products == count(Product) >= 250
        assert summary.carts == count(Cart) > 0
        assert summary.warehouses == count(Warehouse) == 3
    assert 2.2 * PEOPLE <= summary.orders <= 2.8 * PEOPLE  # about 2.5 orders each by default


def test_an_explicit_order_total_is_a_target_that_is_met_roughly(db: Database) -> None:
    summary = seed_store(db, customers=PEOPLE, orders=6 * PEOPLE, today=TODAY)
    assert 5.4 * PEOPLE <= summary.orders <= 6.6 * PEOPLE


def test_customers_buy_in_all_three_channels_and_some_in_several(seeded: Database) -> None:
    with seeded.session() as session:
        channels = defaultdict(set)
        for customer_id, channel in session.execute(select(Order.customer_id, Order.channel)):
            channels[customer_id].add(channel)
    assert set().union(*channels.values()) == set(Channel)
    several = sum(len(c) > 1 for c in channels.values()) / len(channels)
    assert 0.08 <= several <= 0.3
    assert any(len(c) == 3 for c in channels.values())


def test_a_multi_channel_customer_is_written_differently_but_normalises_to_one_customer(
    seeded: Database,
) -> None:
    with seeded.session() as session:
        orders = session.scalars(select(Order).where(Order.customer_id.is_not(None))).all()
        identities = session.scalars(select(CustomerIdentity)).all()
    channels: dict[int | None, set[Channel]] = defaultdict(set)
    phones: dict[int | None, set[str | None]] = defaultdict(set)  # raw spellings they came in
    for order in orders:
        channels[order.customer_id].add(order.channel)
        if order.shipping_address and order.shipping_address.get("phone"):
            phones[order.customer_id].add(order.shipping_address["phone"])
    values: dict[tuple[int | None, IdentityKind], str] = {}
    for identity in identities:
        normalise = normalize_email if identity.kind is IdentityKind.EMAIL else normalize_phone
        assert normalise(identity.first_seen_raw) == identity.value
        values[identity.customer_id, identity.kind] = identity.value
        if identity.kind is IdentityKind.PHONE:
            phones[identity.customer_id].add(identity.first_seen_raw)
    multi = [c for c, seen in channels.items() if len(seen) > 1]
    spelt_differently = 0
    for customer_id in multi:
        if (customer_id, IdentityKind.PHONE) in values:
            assert {normalize_phone(p) for p in phones[customer_id]} == {
                values[customer_id, IdentityKind.PHONE]
            }
            spelt_differently += len(phones[customer_id]) > 1
    assert spelt_differently >= 5
    # Each of the people became one customer with orders: their spellings were merged.
    assert len(channels) == PEOPLE


def test_every_stock_level_equals_the_sum_of_its_movements(seeded: Database) -> None:
    with seeded.session() as session:
        ledger = {
            (product_id, warehouse_id): (total, movements)
            for product_id, warehouse_id, total, movements in session.execute(
                select(
                    StockMovement.product_id,
                    StockMovement.warehouse_id,
                    func.sum(StockMovement.on_hand_delta),
                    func.count(),
                ).group_by(StockMovement.product_id, StockMovement.warehouse_id)
            )
        }
        levels = session.scalars(select(StockLevel)).all()
        warehouses = session.scalars(select(Warehouse).order_by(Warehouse.priority)).all()
    assert len(levels) >= 600
    for level in levels:
        total, movements = ledger.get((level.product_id, level.warehouse_id), (0, 0))
        assert level.on_hand == total and level.allocated == 0
        assert movements == (1 if level.on_hand else 0)  # one count explains each figure
    assert [(w.code, w.priority, w.channels) for w in warehouses] == [
        ("FC-NORTH", 10, {Channel.ONLINE, Channel.WHOLESALE}),
        ("FC-SOUTH", 20, {Channel.ONLINE, Channel.WHOLESALE}),
        ("STORE-BERLIN", 30, {Channel.RETAIL}),
    ]


def test_customer_aggregates_equal_what_their_orders_say(seeded: Database) -> None:
    with seeded.session() as session:
        kept = {
            c.id: (c.orders_count, round(c.total_spent, 2), c.first_order_at, c.last_order_at)
            for c in session.scalars(select(Customer))
        }
        from_orders = {
            row.customer_id: (row.count, round(row.spent, 2), row.first, row.last)
            for row in session.execute(
                select(
                    Order.customer_id,
                    func.count().label("count"),
                    func.sum(Order.total).label("spent"),
                    func.min(Order.placed_at).label("first"),
                    func.max(Order.placed_at).label("last"),
                )
                .where(Order.status.not_in(UNCOUNTED), Order.is_test.is_(False))
                .group_by(Order.customer_id)
            )
        }
    nothing = (0, Decimal("0.00"), None, None)
    assert kept == {c: from_orders.get(c, nothing) for c in kept}
    assert sum(count for count, *_ in kept.values()) > PEOPLE


def test_recounting_customer_totals_as_intake_does_changes_nothing(seeded: Database) -> None:
    def totals() -> dict[int, tuple[object, ...]]:
        with seeded.session() as session:
            return {
                c.id: (c.orders_count, c.total_spent, c.first_order_at, c.last_order_at)
                for c in session.scalars(select(Customer))
            }

    before = totals()
    with seeded.session() as session:
        refresh_customer_totals(session, list(before))
        session.commit()
    assert totals() == before


def test_orders_are_two_years_of_consistent_history(seeded: Database) -> None:
    with seeded.session() as session:
        orders = session.scalars(select(Order)).all()
        lines = defaultdict(list)
        for line in session.scalars(select(OrderLine)):
            lines[line.order_id].append(line)
    start = datetime.combine(TODAY - timedelta(days=730), datetime.min.time(), UTC)
    end = datetime.combine(TODAY, datetime.min.time(), UTC)
    assert all(start <= o.placed_at < end for o in orders)
    assert all(o.currency == "EUR" and not o.is_test for o in orders)
    statuses = {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}
    assert {o.status for o in orders} == statuses
    for order in orders:
        assert order.subtotal == order.total == sum(line.total for line in lines[order.id])
        assert all(line.status is LineStatus.HISTORY for line in lines[order.id])
        assert all(line.total == line.unit_price * line.quantity for line in lines[order.id])
        assert (order.shipping_address is None) == (order.channel is Channel.RETAIL)
    by_month: dict[int, int] = defaultdict(int)
    for order in orders:
        by_month[order.placed_at.month] += 1
    assert by_month[11] + by_month[12] > 1.2 * (by_month[6] + by_month[7])  # Christmas, summer


def test_wholesale_orders_have_large_quantities_at_a_discount(seeded: Database) -> None:
    with seeded.session() as session:
        rows = session.execute(
            select(Order.channel, OrderLine.quantity, OrderLine.unit_price, Product.price)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
        ).all()
    wholesale = [r for r in rows if r.channel is Channel.WHOLESALE]
    others = [r for r in rows if r.channel is not Channel.WHOLESALE]
    assert wholesale and all(20 <= r.quantity <= 500 and r.unit_price < r.price for r in wholesale)
    assert others and all(r.quantity <= 2 and r.unit_price == r.price for r in others)


def test_repeat_purchases_follow_consumption_cycles(seeded: Database) -> None:
    with seeded.session() as session:
        purchases = session.execute(
            select(Order.customer_id, OrderLine.product_id, Order.placed_at)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(Product.cycle_days == 30, Order.channel != Channel.WHOLESALE)
            .order_by(Order.customer_id, OrderLine.product_id, Order.placed_at)
        ).all()
    gaps = [
        (later.placed_at - earlier.placed_at).days
        for earlier, later in zip(purchases, purchases[1:], strict=False)
        if (earlier.customer_id, earlier.product_id) == (later.customer_id, later.product_id)
    ]
    assert len(gaps) >= 20
    assert 20 <= statistics.median(gaps) <= 45


def test_some_customers_left_carts_this_week_and_some_carts_became_orders(
    seeded: Database,
) -> None:
    with seeded.session() as session:
        carts = session.scalars(select(Cart)).all()
        orders = {o.id: o for o in session.scalars(select(Order))}
    open_carts = [c for c in carts if c.status is CartStatus.OPEN]
    ordered = [c for c in carts if c.status is CartStatus.ORDERED]
    today = datetime.combine(TODAY, datetime.min.time(), UTC)
    assert open_carts and all(
        today - timedelta(days=7) <= c.updated_at < today and c.customer_id and c.order_id is None
        for c in open_carts
    )
    assert ordered and all(
        c.order_id and orders[c.order_id].customer_id == c.customer_id for c in ordered
    )
    assert len({c.external_id for c in carts}) == len(carts)
    assert all(c.total > Decimal(0) for c in carts)


def test_seeding_a_store_that_has_customers_is_refused(db: Database) -> None:
    with db.session() as session:
        session.add(Customer(email="ann@example.com"))
        session.commit()
    with pytest.raises(StoreNotEmpty, match="already has products or customers"):
        seed_store(db, customers=10, today=TODAY)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_seeding_twice_is_refused(seeded: Database) -> None:
    with pytest.raises(ValueError, match="seed an empty one"):
        seed_store(seeded, customers=10, today=TODAY)
