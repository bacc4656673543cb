"""Recommendations from real order history, on SQLite and PostgreSQL: stock, bought together,
what a customer owns, learned reorder cycles and the reorders that fall due."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from inventory.models import StockLevel, Warehouse
from retention import recommend
from retention.recommend import (
    ReorderDue,
    bought_products,
    co_purchased,
    in_stock,
    learned_cycles,
    reorders_due,
)
from shopcore.db import Database
from shopcore.enums import Channel, LineStatus, OrderStatus, Platform
from shopcore.models import Customer, Order, OrderLine, Source
from shopcore.orders import get_or_create_source
from tests.factories import add_product, add_warehouses, random_email, random_ref

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)
CANCELLED, TEST = "cancelled", "test"


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


class Shop:
    """A small store written straight into the tables: products, stock, customers, orders."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.source: Source = get_or_create_source(session, "import", Platform.CSV)
        found = add_warehouses(session, ("north", 10, "online"), ("south", 20, "online"))
        self.north: Warehouse = found["north"]
        self.south: Warehouse = found["south"]

    def product(self, *, stock: int = 10, cycle_days: int | None = None) -> int:
        product = add_product(self.session)
        product.cycle_days = cycle_days
        if stock:
            self.stock(product.id, self.north, on_hand=stock)
        self.session.flush()
        return product.id

    def stock(
        self, product_id: int, warehouse: Warehouse, *, on_hand: int, allocated: int = 0
    ) -> None:
        self.session.add(
            StockLevel(
                product_id=product_id,
                warehouse_id=warehouse.id,
                on_hand=on_hand,
                allocated=allocated,
            )
        )
        self.session.flush()

    def customer(self) -> int:
        customer = Customer(email=random_email())
        self.session.add(customer)
        self.session.flush()
        return customer.id

    def order(
        self, customer_id: int | None, *product_ids: int | None, at: datetime, kind: str = ""
    ) -> int:
        """An order of one unit of each product; ``kind`` makes it cancelled or a test."""
        lines = [
            OrderLine(
                product_id=p,
                sku=random_ref("SKU-"),
                quantity=1,
                unit_price=Decimal("5.00"),
                total=Decimal("5.00"),
                status=LineStatus.HISTORY,
            )
            for p in product_ids
        ]
        order = Order(
            source_id=self.source.id,
            channel=Channel.ONLINE,
            external_id=random_ref("A-"),
            customer_id=customer_id,
            status=OrderStatus.CANCELLED if kind == CANCELLED else OrderStatus.COMPLETED,
            is_test=kind == TEST,
            placed_at=at,
            currency="EUR",
            subtotal=Decimal("5.00") * len(lines),
            total=Decimal("5.00") * len(lines),
            lines=lines,
        )
        self.session.add(order)
        self.session.flush()
        return order.id

    def bought_together(self, *product_ids: int | None, times: int = 1, kind: str = "") -> None:
        for n in range(times):
            self.order(self.customer(), *product_ids, at=days_ago(100 - n), kind=kind)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as session:
        yield session


@pytest.fixture
def shop(session: Session) -> Shop:
    return Shop(session)


# -- stock ---------------------------------------------------------------------------------


def test_a_product_is_in_stock_when_any_warehouse_has_units_not_allocated(shop: Shop) -> None:
    spread = shop.product(stock=0)
    shop.stock(spread, shop.north, on_hand=3, allocated=3)
    shop.stock(spread, shop.south, on_hand=1)
    all_promised = shop.product(stock=0)
    shop.stock(all_promised, shop.north, on_hand=4, allocated=4)
    shop.stock(all_promised, shop.south, on_hand=0)
    never_stocked = shop.product(stock=0)

    assert in_stock(shop.session, [spread, all_promised, never_stocked]) == {spread}
    assert in_stock(shop.session, []) == set()


# -- often bought together -----------------------------------------------------------------


def test_products_come_ranked_by_how_many_orders_they_share_with_the_given_one(
    shop: Shop,
) -> None:
    tea, kettle, cups, honey, unrelated = (shop.product() for _ in range(5))
    shop.bought_together(tea, cups, times=3)
    shop.bought_together(tea, kettle, honey, times=2)
    shop.bought_together(tea, honey)
    shop.bought_together(kettle, unrelated, times=5)

    assert co_purchased(shop.session, [tea], exclude=set()) == [cups, honey, kettle]
    assert co_purchased(shop.session, [tea], exclude=set(), limit=2) == [cups, honey]


def test_several_given_products_pool_their_orders(shop: Shop) -> None:
    tea, coffee, filters, cups = (shop.product() for _ in range(4))
    shop.bought_together(tea, cups)
    shop.bought_together(coffee, filters, times=2)
    shop.bought_together(coffee, cups, times=2)

    assert co_purchased(shop.session, [tea, coffee], exclude=set()) == [cups, filters]


def test_equal_counts_go_by_product_id(shop: Shop) -> None:
    tea = shop.product()
    others = [shop.product() for _ in range(3)]
    for other in reversed(others):
        shop.bought_together(tea, other)

    assert co_purchased(shop.session, [tea], exclude=set()) == sorted(others)


def test_owned_out_of_stock_and_given_products_are_never_recommended(shop: Shop) -> None:
    tea, green_tea, owned, fine = (shop.product() for _ in range(4))
    sold_out, promised = shop.product(stock=0), shop.product(stock=0)
    shop.stock(promised, shop.north, on_hand=10, allocated=10)
    shop.bought_together(tea, green_tea, owned, sold_out, promised, times=3)
    shop.bought_together(tea, green_tea, fine, None)  # None: a line with an unknown SKU

    assert co_purchased(shop.session, [tea, green_tea], exclude={owned}) == [fine]


def test_test_and_cancelled_orders_say_nothing_about_what_goes_together(shop: Shop) -> None:
    tea, in_tests, in_cancelled, real = (shop.product() for _ in range(4))
    shop.bought_together(tea, in_tests, times=3, kind=TEST)
    shop.bought_together(tea, in_cancelled, times=3, kind=CANCELLED)
    shop.bought_together(tea, real)

    assert co_purchased(shop.session, [tea], exclude=set()) == [real]


def test_two_lines_of_a_product_in_one_order_count_as_one_order(shop: Shop) -> None:
    tea, doubled, twice = (shop.product() for _ in range(3))
    shop.order(shop.customer(), tea, doubled, doubled, doubled, at=days_ago(3))
    shop.bought_together(tea, twice, times=2)

    assert co_purchased(shop.session, [tea], exclude=set()) == [twice, doubled]


def test_only_the_latest_orders_of_a_product_are_counted(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recommend, "CO_PURCHASE_SAMPLE", 2)
    tea, old_favourite, new_favourite = (shop.product() for _ in range(3))
    shop.bought_together(tea, old_favourite, times=3)
    shop.bought_together(tea, new_favourite, times=2)

    assert co_purchased(shop.session, [tea], exclude=set()) == [new_favourite]


def test_nothing_given_nothing_recommended(shop: Shop) -> None:
    assert co_purchased(shop.session, [], exclude=set()) == []


# -- what a customer owns ------------------------------------------------------------------


def test_bought_products_are_the_catalogue_products_of_the_customers_real_orders(
    shop: Shop,
) -> None:
    ann, bob = shop.customer(), shop.customer()
    tea, mug, cancelled, tested, bobs = (shop.product() for _ in range(5))
    shop.order(ann, tea, mug, None, at=days_ago(40))
    shop.order(ann, tea, at=days_ago(10))
    shop.order(ann, cancelled, at=days_ago(5), kind=CANCELLED)
    shop.order(ann, tested, at=days_ago(5), kind=TEST)
    shop.order(bob, bobs, at=days_ago(5))

    assert bought_products(shop.session, ann) == {tea, mug}
    assert bought_products(shop.session, shop.customer()) == set()


# -- learned cycles ------------------------------------------------------------------------


def test_a_learned_cycle_is_the_median_interval_between_one_customers_purchases(
    shop: Shop,
) -> None:
    tea = shop.product()
    ann, bob, cy = shop.customer(), shop.customer(), shop.customer()
    for customer, days in ((ann, [100, 90, 69.5]), (bob, [60, 46]), (cy, [30])):
        for d in days:
            shop.order(customer, tea, at=days_ago(d))

    # Intervals: Ann 10 and 20.5, Bob 14; Cy bought once and has none.
    assert learned_cycles(shop.session) == {tea: pytest.approx(14.0)}


def test_an_even_count_of_intervals_takes_the_mean_of_the_middle_two(shop: Shop) -> None:
    coffee = shop.product()
    ann, bob = shop.customer(), shop.customer()
    for customer, days in ((ann, [100, 90, 78]), (bob, [50, 35, 21.5])):
        for d in days:
            shop.order(customer, coffee, at=days_ago(d))

    # Intervals 10, 12, 15 and 13.5: the middle two are 12 and 13.5.
    assert learned_cycles(shop.session) == {coffee: pytest.approx(12.75)}


def test_products_with_too_few_intervals_learn_no_cycle(shop: Shop) -> None:
    soap = shop.product()
    ann = shop.customer()
    for d in (90, 60, 30):
        shop.order(ann, soap, at=days_ago(d))

    assert learned_cycles(shop.session) == {}
    assert learned_cycles(shop.session, min_repeats=2) == {soap: pytest.approx(30.0)}


def test_test_cancelled_and_doubled_purchases_do_not_make_intervals(shop: Shop) -> None:
    tea = shop.product()
    ann = shop.customer()
    for d in (100, 80, 60, 40):
        shop.order(ann, tea, at=days_ago(d))
    shop.order(ann, tea, at=days_ago(90), kind=CANCELLED)
    shop.order(ann, tea, at=days_ago(70), kind=TEST)
    shop.order(ann, tea, tea, at=days_ago(50))
    shop.order(None, tea, at=days_ago(45))  # no customer: nobody's interval

    # Ann's real purchases: 100, 80, 60, 50, 40 days ago.
    assert learned_cycles(shop.session) == {tea: pytest.approx(15.0)}


# -- reorders due --------------------------------------------------------------------------


def due(shop: Shop, cycles: dict[int, float] | None = None) -> list[tuple[int, int]]:
    found = reorders_due(shop.session, now=NOW, since=SINCE, cycles=cycles or {})
    return [(d.customer_id, d.product_id) for d in found]


def test_a_purchase_falls_due_one_configured_cycle_later(shop: Shop) -> None:
    tea = shop.product(cycle_days=30)
    ann = shop.customer()
    bought = days_ago(30) - timedelta(hours=2)
    shop.order(ann, tea, at=bought)

    assert reorders_due(shop.session, now=NOW, since=SINCE, cycles={}) == [
        ReorderDue(ann, tea, bought, bought + timedelta(days=30))
    ]


def test_the_window_is_open_at_since_and_closed_at_now(shop: Shop) -> None:
    tea = shop.product(cycle_days=30)
    at_now, at_since, just_after_since, just_after_now = (shop.customer() for _ in range(4))
    shop.order(at_now, tea, at=days_ago(30))
    shop.order(at_since, tea, at=days_ago(31))
    shop.order(just_after_since, tea, at=days_ago(31) + timedelta(seconds=1))
    shop.order(just_after_now, tea, at=days_ago(30) + timedelta(seconds=1))

    assert due(shop) == [(just_after_since, tea), (at_now, tea)]


def test_a_learned_cycle_replaces_the_configured_one(shop: Shop) -> None:
    tea = shop.product(cycle_days=30)
    ann, bob = shop.customer(), shop.customer()
    shop.order(ann, tea, at=days_ago(30))
    shop.order(bob, tea, at=days_ago(21))

    assert due(shop, {tea: 21.0}) == [(bob, tea)]


def test_durable_goods_never_fall_due_but_a_learned_cycle_makes_a_consumable(
    shop: Shop,
) -> None:
    teapot, filters = shop.product(), shop.product()
    ann = shop.customer()
    shop.order(ann, teapot, filters, at=days_ago(30))

    assert due(shop) == []
    assert due(shop, {filters: 30.0}) == [(ann, filters)]


def test_a_customer_who_bought_again_since_is_not_due(shop: Shop) -> None:
    tea, coffee = shop.product(cycle_days=30), shop.product(cycle_days=30)
    ann, bob = shop.customer(), shop.customer()
    shop.order(ann, tea, coffee, at=days_ago(30))
    shop.order(ann, tea, at=days_ago(5))  # tea again, coffee not
    shop.order(bob, tea, at=days_ago(30))
    shop.order(bob, tea, at=days_ago(30) + timedelta(hours=1))  # the same day, a second time

    assert due(shop) == [(ann, coffee)]


def test_test_and_cancelled_orders_neither_fall_due_nor_count_as_buying_again(
    shop: Shop,
) -> None:
    tea = shop.product(cycle_days=30)
    ann, bob = shop.customer(), shop.customer()
    shop.order(ann, tea, at=days_ago(30))
    shop.order(ann, tea, at=days_ago(3), kind=CANCELLED)
    shop.order(ann, tea, at=days_ago(2), kind=TEST)
    shop.order(bob, tea, at=days_ago(30), kind=TEST)
    shop.order(None, tea, at=days_ago(30))

    assert due(shop) == [(ann, tea)]


def test_reorders_come_in_order_of_when_they_fell_due(shop: Shop) -> None:
    tea, coffee = shop.product(cycle_days=30), shop.product(cycle_days=14)
    ann, bob = shop.customer(), shop.customer()
    shop.order(ann, tea, at=days_ago(30))
    shop.order(bob, coffee, at=days_ago(14.5))
    shop.order(ann, coffee, at=days_ago(14.5))

    assert due(shop) == [(ann, coffee), (bob, coffee), (ann, tea)]


def test_an_empty_window_finds_nothing(shop: Shop) -> None:
    tea = shop.product(cycle_days=30)
    shop.order(shop.customer(), tea, at=days_ago(30))

    assert reorders_due(shop.session, now=NOW, since=NOW, cycles={}) == []
