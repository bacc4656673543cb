"""Recording orders as history: idempotent, in place on change, customer totals always exact."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.models import StockLevel, StockMovement
from inventory.stock import set_on_hand
from inventory.warehouses import add_warehouse
from shopcore import lookups
from shopcore.canonical import CanonicalOrder, parse_order
from shopcore.contacts import ContactBook
from shopcore.customers import ContactDetails, match_customer
from shopcore.db import Database
from shopcore.enums import Channel, LineStatus, OrderStatus, Platform
from shopcore.models import Customer, CustomerIdentity, Order, OrderLine, Product, Source
from shopcore.orders import (
    OrderIsLive,
    OrderRecorder,
    RecordOutcome,
    SourceConflict,
    get_or_create_source,
    record_order,
)
from tests.factories import random_email, random_ref, random_sku


def canonical(**overrides: Any) -> CanonicalOrder:
    data: dict[str, Any] = {
        "external_id": random_ref("A-"),
        "channel": "online",
        "placed_at": "2026-12-01T10:00:00Z",
        "currency": "EUR",
        "customer": {"email": random_email(), "first_name": "Ann"},
        "lines": [{"sku": random_sku(), "quantity": 2, "unit_price": "4.50"}],
    }
    return parse_order(data | overrides)


def record(db: Database, order: CanonicalOrder, **kwargs: Any) -> tuple[RecordOutcome, int]:
    with db.session() as session:
        source = get_or_create_source(session, "import", Platform.CSV)
        result = record_order(session, order, source=source, region="DE", **kwargs)
        session.commit()
        return result.outcome, result.order.id


def customer_by_email(db: Database, email: str) -> Customer:
    with db.session() as session:
        return session.scalars(select(Customer).where(Customer.email == email)).one()


def totals(customer: Customer) -> tuple[int, Decimal, datetime | None, datetime | None]:
    return (
        customer.orders_count,
        customer.total_spent,
        customer.first_order_at,
        customer.last_order_at,
    )


def test_recording_an_order_creates_it_as_history_with_its_customer_and_lines(
    db: Database,
) -> None:
    sku = random_sku()
    with db.session() as session:
        session.add(Product(sku=sku, name="Tea", price=Decimal("4.50"), category="tea"))
        session.commit()
    order = canonical(
        lines=[
            {"sku": sku, "quantity": 2, "unit_price": "4.50"},
            {"sku": "NOT-IN-CATALOGUE", "quantity": 1, "unit_price": "1.25"},
        ]
    )

    outcome, order_id = record(db, order)

    assert outcome is RecordOutcome.CREATED
    with db.session() as session:
        saved = session.get_one(Order, order_id)
        assert saved.status is OrderStatus.COMPLETED
        assert (saved.subtotal, saved.total) == (Decimal("10.25"), Decimal("10.25"))
        assert [(x.sku, x.product_id is not None, x.status) for x in saved.lines] == [
            (sku, True, LineStatus.HISTORY),
            ("NOT-IN-CATALOGUE", False, LineStatus.HISTORY),
        ]
        assert saved.customer is not None
        assert totals(saved.customer) == (1, Decimal("10.25"), order.placed_at, order.placed_at)


def test_recording_the_same_order_again_changes_nothing(db: Database) -> None:
    order = canonical()
    _, order_id = record(db, order)
    with db.session() as session:
        before = session.get_one(Order, order_id).updated_at

    outcome, again_id = record(db, order)

    assert (outcome, again_id) == (RecordOutcome.UNCHANGED, order_id)
    with db.session() as session:
        assert session.get_one(Order, order_id).updated_at == before
        assert session.scalar(select(func.count(OrderLine.id))) == 1


def test_recording_changed_content_updates_the_order_in_place(db: Database) -> None:
    order = canonical()
    _, order_id = record(db, order)
    changed = parse_order(
        {
            "external_id": order.external_id,
            "channel": "online",
            "placed_at": "2026-12-01T10:00:00Z",
            "currency": "EUR",
            "customer": {"email": order.customer.email if order.customer else None},
            "lines": [{"sku": "TEA-9", "quantity": 5, "unit_price": "2.00"}],
        }
    )

    outcome, again_id = record(db, changed)

    assert (outcome, again_id) == (RecordOutcome.UPDATED, order_id)
    with db.session() as session:
        lines = session.scalars(select(OrderLine)).all()
        assert [(x.sku, x.quantity) for x in lines] == [("TEA-9", 5)]
        assert session.get_one(Order, order_id).total == Decimal("10.00")


def test_moving_an_order_to_another_customer_fixes_both_customers_totals(db: Database) -> None:
    ann, bob = random_email(), random_email()
    first = canonical(customer={"email": ann}, placed_at="2026-01-01T00:00:00Z")
    moved = canonical(customer={"email": ann}, placed_at="2026-03-01T00:00:00Z")
    record(db, first)
    record(db, moved)
    assert totals(customer_by_email(db, ann))[:2] == (2, Decimal("18.00"))

    record(db, canonical(**_fields(moved) | {"customer": {"email": bob}}))

    assert totals(customer_by_email(db, ann)) == (
        1,
        Decimal("9.00"),
        first.placed_at,
        first.placed_at,
    )
    assert totals(customer_by_email(db, bob)) == (
        1,
        Decimal("9.00"),
        moved.placed_at,
        moved.placed_at,
    )


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.REFUNDED])
def test_cancelled_and_refunded_orders_do_not_count_towards_the_customers_totals(
    db: Database, status: OrderStatus
) -> None:
    email = random_email()
    kept = canonical(customer={"email": email}, placed_at="2026-01-01T00:00:00Z")
    undone = canonical(customer={"email": email}, placed_at="2026-06-01T00:00:00Z")
    record(db, kept)
    record(db, undone)

    outcome, _ = record(db, undone, status=status)

    assert outcome is RecordOutcome.UPDATED
    assert totals(customer_by_email(db, email)) == (
        1,
        Decimal("9.00"),
        kept.placed_at,
        kept.placed_at,
    )


def test_the_shipping_country_decides_how_a_national_phone_number_is_read(db: Database) -> None:
    austrian = canonical(
        customer={"phone": "0664 1234567"},
        shipping_address={"country": "AT", "city": "Wien"},
    )

    record(db, austrian)

    with db.session() as session:
        assert session.scalar(select(Customer.phone)) == "+436641234567"


def test_history_orders_do_not_touch_stock(db: Database) -> None:
    sku = random_sku()
    with db.session() as session:
        product = Product(sku=sku, name="Tea", price=Decimal("4.50"), category="tea")
        warehouse = add_warehouse(
            session, "MAIN", name="Main", priority=1, channels=[Channel.ONLINE]
        )
        session.add(product)
        session.flush()
        set_on_hand(session, product.id, warehouse.id, 10)
        session.commit()

    record(db, canonical(lines=[{"sku": sku, "quantity": 3, "unit_price": "4.50"}]))

    with db.session() as session:
        assert session.scalar(select(StockLevel.on_hand)) == 10
        assert session.scalar(select(StockLevel.allocated)) == 0
        assert session.scalar(select(func.count(StockMovement.id))) == 1


def test_an_order_being_fulfilled_is_not_replaced_by_history(db: Database) -> None:
    order = canonical()
    _, order_id = record(db, order)
    with db.session() as session:
        for line in session.get_one(Order, order_id).lines:
            line.status = LineStatus.ALLOCATED
        session.commit()

    with pytest.raises(OrderIsLive):
        record(db, canonical(**_fields(order) | {"currency": "USD"}))


def test_a_batch_finds_its_recorded_orders_however_the_lookups_are_chunked(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookups, "CHUNK", 2)
    batch = [canonical(channel=channel) for channel in ("online", "retail", "online", "retail")]
    for order in batch:
        record(db, order)

    with db.session() as session:
        source = get_or_create_source(session, "import", Platform.CSV)
        recorder = OrderRecorder(session, source=source, region="DE")
        recorder.prefetch(batch)
        outcomes = [recorder.record(order).outcome for order in batch]
        recorder.finish()

    assert outcomes == [RecordOutcome.UNCHANGED] * 4


def test_an_order_recorded_twice_in_one_batch_is_created_then_unchanged_or_updated(
    db: Database,
) -> None:
    order = canonical()
    moved = canonical(**_fields(order) | {"customer": {"email": random_email()}})

    with db.session() as session:
        source = get_or_create_source(session, "import", Platform.CSV)
        recorder = OrderRecorder(session, source=source, region="DE")
        outcomes = [recorder.record(o).outcome for o in (order, order, moved)]
        recorder.finish()
        session.commit()

    assert outcomes == [RecordOutcome.CREATED, RecordOutcome.UNCHANGED, RecordOutcome.UPDATED]
    assert order.customer and moved.customer
    first, second = (customer_by_email(db, c.email or "") for c in (order.customer, moved.customer))
    assert (first.orders_count, second.orders_count) == (0, 1)


def test_a_source_is_created_on_first_use_and_found_after(db: Database) -> None:
    with db.session() as session:
        first = get_or_create_source(session, "import", Platform.CSV)
        session.commit()
        again = get_or_create_source(session, "import", Platform.CSV)
        assert again.id == first.id
        assert session.scalar(select(func.count(Source.id))) == 1
        with pytest.raises(SourceConflict):
            get_or_create_source(session, "import", Platform.SHOPIFY)


DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
NOV_1 = datetime(2026, 11, 1, tzinfo=UTC)

# (details, when stated): new people, spellings, joins, completions and consent statements.
CONTACTS = [
    (ContactDetails(email="Ann@Example.com", first_name="Ann"), DEC_1),
    (ContactDetails(phone="0151 12345678", last_name="Lee"), DEC_1),
    (ContactDetails(email=" ann@example.com", phone="+49 151 12345678", company="Lee"), DEC_1),
    (ContactDetails(email="ann@example.com", phone="0049 151 12345678"), DEC_1),
    (ContactDetails(email="bob@example.com", phone="030 1234567"), DEC_1),
    (ContactDetails(email="BOB@example.com"), DEC_1),
    (ContactDetails(phone="030 1234567", first_name="Bob"), DEC_1),
    (ContactDetails(email="dora@example.com", first_name="Dora"), DEC_1),
    (ContactDetails(email="dora@example.com", accepts_marketing=True), DEC_1),
    (ContactDetails(email="dora@example.com", accepts_marketing=False), NOV_1),
    (ContactDetails(email="not an email"), DEC_1),
    (ContactDetails(email="carl@example.com", accepts_marketing=True), DEC_1),
    (ContactDetails(email="carl@example.com", accepts_marketing=True), DEC_1),
    (ContactDetails(email="eve@example.com", accepts_marketing=False), DEC_1),
    (ContactDetails(email="eve@example.com", accepts_marketing=True), DEC_1),
]


def test_a_contact_book_leaves_the_same_customers_as_match_customer_one_by_one(
    db: Database,
) -> None:
    with db.session() as session:
        known = ContactDetails(email="dora@example.com")
        match_customer(session, known, source="import", region="DE", seen_at=NOV_1)
        session.commit()
    outcomes = []
    for batched in (False, True):
        with db.session() as session:
            if batched:
                book = ContactBook(session, source="import")
                book.prefetch((details, "DE") for details, _ in CONTACTS)
                found = [book.match(d, region="DE", seen_at=t).customer for d, t in CONTACTS]
            else:
                found = [
                    match_customer(session, d, source="import", region="DE", seen_at=t)
                    for d, t in CONTACTS
                ]
            session.flush()
            outcomes.append(_people(session, found))
            session.rollback()

    assert outcomes[0] == outcomes[1]
    # Dora, Ann, the phone-only Lee (the rule never merges two customers), Bob, Carl, Eve.
    assert len(outcomes[0][0]) == 6


def test_a_contact_book_says_whether_a_match_created_changed_or_left_a_customer(
    db: Database,
) -> None:
    with db.session() as session:
        book = ContactBook(session, source="import")
        book.prefetch((details, "DE") for details, _ in CONTACTS)
        said = [book.match(d, region="DE", seen_at=t).outcome.value for d, t in CONTACTS[:7]]

    assert said == [
        "created",
        "created",
        "updated",  # Ann gains a phone number and a company; the phone's identity stays Lee's
        "unchanged",
        "created",
        "unchanged",
        "updated",  # Bob's first name
    ]


def _people(session: Session, found: list[Customer | None]) -> tuple[list[Any], ...]:
    """Customers and identities with ids replaced by creation order, comparable across runs."""
    customers = session.scalars(select(Customer).order_by(Customer.id)).all()
    rank = {c.id: i for i, c in enumerate(customers)}
    people = [
        (c.email, c.phone, c.first_name, c.last_name, c.company)
        + (c.accepts_marketing, c.consent_at, c.consent_source)
        for c in customers
    ]
    identities = sorted(
        (rank[i.customer_id], i.kind, i.scope, i.value, i.first_seen_raw)
        for i in session.scalars(select(CustomerIdentity))
    )
    return people, identities, [rank[c.id] if c else None for c in found]


def _fields(order: CanonicalOrder) -> dict[str, Any]:
    """The order as canonical data again, to record a variant of it."""
    return {
        "external_id": order.external_id,
        "channel": order.channel.value,
        "placed_at": order.placed_at.isoformat(),
        "currency": order.currency,
        "customer": vars(order.customer) if order.customer else None,
        "lines": [vars(line) for line in order.lines],
    }
