"""Realistic synthetic store data, reproducible by seed, written in batches in flat memory.

A seeded store has a catalogue, three warehouses with counted stock, three order sources and
two years of orders in all channels. The generator does not decide who is who: every order
carries the contact details as its channel spelt them, and customers and their identities
come from normalising those spellings, as intake does.
"""

from __future__ import annotations

import json
import math
import random
import secrets
from bisect import bisect
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.orm import Session

from inventory.models import MovementKind, StockLevel, StockMovement, Warehouse
from inventory.warehouses import add_warehouse
from shopcore import seed_catalog as catalog
from shopcore.db import Base, Database
from shopcore.enums import CartStatus, Channel, IdentityKind, LineStatus, OrderStatus, Platform
from shopcore.identity import normalize_email, normalize_phone
from shopcore.models import (
    Cart,
    CartItem,
    Customer,
    CustomerIdentity,
    Order,
    OrderLine,
    Product,
    Source,
)
from shopcore.orders import UNCOUNTED

ONLINE, RETAIL, WHOLESALE = Channel.ONLINE, Channel.RETAIL, Channel.WHOLESALE
BATCH = 5000  # people per transaction: big enough for fast inserts, small enough to stay flat
HISTORY_DAYS = 729  # back from yesterday, so that even in UTC nothing is older than 730 days
ORDERS_PER_CUSTOMER = 2.5
SHOP_ZONE = ZoneInfo("Europe/Berlin")
SOURCES = {
    ONLINE: ("shopify", Platform.SHOPIFY),
    RETAIL: ("pos", Platform.API),
    WHOLESALE: ("wholesale-desk", Platform.API),
}
# code, name, priority, channels served, share of the catalogue stocked (None: the store's
# own shelf, which is also what people buy in the store)
WAREHOUSES = [
    ("FC-NORTH", "Fulfilment centre Hamburg", 10, (ONLINE, WHOLESALE), 1.0),
    ("FC-SOUTH", "Fulfilment centre Munich", 20, (ONLINE, WHOLESALE), 0.85),
    ("STORE-BERLIN", "Store Berlin Mitte", 30, (RETAIL,), None),
]
# Where people buy: 16 % in more than one channel.
CHANNEL_MIXES = [
    ((ONLINE,), 0.77),
    ((RETAIL,), 0.05),
    ((ONLINE, RETAIL), 0.12),
    ((WHOLESALE,), 0.02),
    ((WHOLESALE, ONLINE), 0.02),
    ((WHOLESALE, RETAIL), 0.005),
    ((ONLINE, RETAIL, WHOLESALE), 0.015),
]
CHANNEL_SHARE = {ONLINE: 1.0, RETAIL: 0.6, WHOLESALE: 2.0}  # of a multi-channel person's orders
MONTH_WEIGHT = [0, 0.9, 0.85, 0.95, 0.95, 0.9, 0.8, 0.72, 0.75, 0.95, 1.05, 1.5, 1.75]
WEEKDAY_WEIGHT = {
    ONLINE: [1.1, 1.05, 1.0, 1.0, 0.95, 0.85, 1.05],
    RETAIL: [0.8, 0.9, 0.9, 1.0, 1.2, 1.6, 0.0],  # German shops are closed on Sundays
    WHOLESALE: [1.3, 1.1, 1.1, 1.0, 0.9, 0.0, 0.0],
}
HOUR_WEIGHT = {  # in the shop's time zone: online shopping peaks after dinner
    ONLINE: [2, 1, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 9, 8, 7, 7, 8, 9, 10, 12, 14, 13, 9, 5],
    RETAIL: [0] * 9 + [4, 6, 8, 9, 8, 8, 9, 10, 11, 9, 5] + [0] * 4,
    WHOLESALE: [0] * 8 + [10, 10, 9, 8, 6, 7, 7, 6, 4] + [0] * 7,
}
STAPLE_WEIGHT = {
    "Tea": 3.0, "Coffee": 3.0, "Pet food": 1.6, "Vitamins": 1.0, "Shampoo": 0.8,
    "Toothpaste": 0.6, "Toothbrushes": 0.3, "Coffee filters": 0.4, "Soap": 0.3,
    "Sweeteners": 0.3, "Descaler": 0.2,
}
GIFT_CATEGORIES = ("Teapots", "Mugs", "Kettles", "Coffee gear", "Tea accessories")
BULK_QUANTITIES = [20, 24, 30, 36, 40, 48, 50, 60, 72, 80, 96, 100, 120, 144, 150, 200, 240, 300]
BULK_QUANTITIES += [400, 500]
DISCOUNTS = [Decimal("0.90"), Decimal("0.85"), Decimal("0.80"), Decimal("0.75"), Decimal("0.70")]
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SeedSummary:
    products: int
    warehouses: int
    customers: int
    orders: int
    carts: int
    order_lines: int = 0
    identities: int = 0
    stock_levels: int = 0


class StoreNotEmpty(ValueError):
    """The store already has products or customers; seeded data would mix with them."""


def seed_store(
    db: Database,
    *,
    customers: int = 2000,
    orders: int | None = None,
    seed: int = 42,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> SeedSummary:
    """Fill an empty store with two years of synthetic history, the same for the same seed.

    ``orders`` is a target total (about 2.5 per customer when None). ``progress(n)`` is called
    after each committed batch with the number of customers it wrote.
    """
    if customers < 0 or (orders is not None and orders < 0):
        raise ValueError("customers and orders cannot be negative")
    target = round(customers * ORDERS_PER_CUSTOMER) if orders is None else orders
    rng = random.Random(seed)
    with db.session() as session:
        shop = _open_store(session, rng, today or date.today())
        session.commit()
    planner = _Planner(rng, shop)
    totals = dict.fromkeys(("customers", "orders", "lines", "identities", "carts"), 0)
    asked = 0.0

    def report(writing: Future[int] | None) -> None:
        written = writing.result() if writing is not None else None  # raises what the write did
        if written is not None and progress is not None:
            progress(written)

    # One writer thread: while it inserts a batch, this thread plans the next, so Python and
    # the database work at the same time. Everything random happens here, in order.
    with db.engine.connect() as connection, ThreadPoolExecutor(1) as writer:
        with connection.begin():
            ids = _Ids(connection)
        writing: Future[int] | None = None
        for first in range(1, customers + 1, BATCH):
            people = range(first, min(first + BATCH, customers + 1))
            # Ask for what is left of the target, less what the planner adds on its own
            # (Christmas gifts, one order at least in each of someone's channels).
            overshoot = totals["orders"] / asked if asked else 1.0
            mean = max(0, target - totals["orders"]) / (customers - first + 1) / overshoot
            asked += mean * len(people)
            batch = _Batch([e for n in people for e in planner.person(n, mean)], ids, shop)
            for key, count in batch.counts().items():
                totals[key] += count
            report(writing)
            writing = writer.submit(batch.write, connection)
        report(writing)
    return SeedSummary(
        products=len(shop.items),
        warehouses=len(WAREHOUSES),
        customers=totals["customers"],
        orders=totals["orders"],
        carts=totals["carts"],
        order_lines=totals["lines"],
        identities=totals["identities"],
        stock_levels=shop.stock_levels,
    )


# ------------------------------------------------------------------ the store and its stock


@dataclass(frozen=True, slots=True)
class _Item:
    id: int
    sku: str
    price: Decimal
    cycle_days: int | None
    category: str
    popularity: float
    wholesale: bool
    in_store: bool


@dataclass
class _Shop:
    today: date
    items: list[_Item]
    source_ids: dict[Channel, int]
    store_id: int
    stock_levels: int


def _open_store(session: Session, rng: random.Random, today: date) -> _Shop:
    """Sources, warehouses, the catalogue and its opening stock counts, in one transaction."""
    if any(session.scalar(select(t.id).limit(1)) is not None for t in (Product, Customer)):
        raise StoreNotEmpty("the store already has products or customers: seed an empty one")
    opened = datetime.combine(today - timedelta(days=HISTORY_DAYS + 30), time(8), UTC)
    source_ids = {}
    for channel, (name, platform) in SOURCES.items():
        source = session.scalar(select(Source).where(Source.name == name))
        if source is None:
            # Never derived from the seed: whoever knows the seed could sign webhooks.
            secret = secrets.token_hex(24) if platform is Platform.SHOPIFY else None
            source = Source(name=name, platform=platform, secret=secret, created_at=opened)
            session.add(source)
            session.flush()
        source_ids[channel] = source.id
    warehouses = []
    for code, name, priority, channels, share in WAREHOUSES:
        warehouse = session.scalar(select(Warehouse).where(Warehouse.code == code))
        if warehouse is None:
            warehouse = add_warehouse(
                session, code, name=name, priority=priority, channels=channels
            )
            warehouse.created_at = opened
            session.flush()
        warehouses.append((warehouse.id, share))
    specs = catalog.build_catalog()
    first_id = (session.scalar(select(func.max(Product.id))) or 0) + 1
    products = [
        {"id": first_id + n, "sku": p.sku, "name": p.name, "price": p.price,
         "category": p.category, "image_url": catalog.image_url(p.sku),
         "cycle_days": p.cycle_days, "created_at": opened}
        for n, p in enumerate(specs)
    ]
    session.execute(insert(Product), products)
    _advance_sequence(session.connection(), "products")
    items = [
        _Item(first_id + n, p.sku, p.price, p.cycle_days, p.category, p.popularity,
              p.wholesale, in_store=rng.random() < 0.45 + p.popularity)
        for n, p in enumerate(specs)
    ]
    levels = _count_stock(session, rng, items, warehouses, today)
    return _Shop(today, items, source_ids, warehouses[-1][0], levels)


def _count_stock(
    session: Session,
    rng: random.Random,
    items: list[_Item],
    warehouses: list[tuple[int, float | None]],
    today: date,
) -> int:
    """Opening counts: per level, the one COUNT movement set_on_hand would have written."""
    counted_at = datetime.combine(today - timedelta(days=1), time(18), UTC)
    levels, movements = [], []
    for item in items:
        for warehouse_id, share in warehouses:
            if not (item.in_store if share is None else rng.random() < share):
                continue
            typical = 6 + 30 * item.popularity if share is None else 40 + 900 * item.popularity
            on_hand = 0 if rng.random() < 0.04 else max(1, round(typical * rng.uniform(0.3, 1.6)))
            level = {"product_id": item.id, "warehouse_id": warehouse_id}
            levels.append({**level, "on_hand": on_hand, "allocated": 0})
            if on_hand:
                movements.append(
                    {**level, "kind": MovementKind.COUNT, "on_hand_delta": on_hand,
                     "allocated_delta": 0, "note": "opening count", "created_at": counted_at}
                )
    session.execute(insert(StockLevel), levels)
    session.execute(insert(StockMovement), movements)
    return len(levels)


# ------------------------------------------------------------------- people and their orders


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity: cheaper
class _Contact:
    """A buyer's details as one channel spelt them."""

    email: str | None
    phone: str | None
    first_name: str
    last_name: str
    company: str | None
    accepts_marketing: bool | None


@dataclass(slots=True)
class _Person:
    """Who someone is; ``usual`` is how each of their channels mostly spells them."""

    first: str
    last: str
    email: str | None
    mobile: str | None
    company: str | None
    accepts: bool
    address: dict[str, str | None]
    email_at_till: bool
    phone_online: bool
    avoid: set[str | None]  # spellings never to use for them
    usual: dict[Channel, _Contact] = field(default_factory=dict)
    shipping: dict[_Contact, dict[str, str | None]] = field(default_factory=dict)


Line = tuple[_Item, int, Decimal]  # product, quantity, unit price


@dataclass(slots=True)
class _Sale:
    placed_at: datetime
    channel: Channel
    contact: _Contact
    lines: list[Line]
    total: Decimal
    status: OrderStatus
    address: dict[str, str | None] | None
    id: int = 0


@dataclass(slots=True)
class _Cart:
    updated_at: datetime
    lines: list[Line]
    order: _Sale | None = None


# When, through which channel and as whom someone met the shop, and what came of it.
_Event = tuple[datetime, Channel, _Contact, _Sale | _Cart | None]


class _Assortment:
    """Products to draw from, each category with its weight and bestsellers more often."""

    def __init__(self, items: Sequence[_Item], weights: dict[str, float]) -> None:
        chosen = [i for i in items if weights.get(i.category, 0) > 0]
        per_category: dict[str, float] = {}
        for i in chosen:
            per_category[i.category] = per_category.get(i.category, 0) + i.popularity
        shares = [weights[i.category] * i.popularity / per_category[i.category] for i in chosen]
        # A lookup table rather than a weighted choice: one random number per draw.
        slots = 4096 / sum(shares)
        self._table = [
            i for i, s in zip(chosen, shares, strict=True) for _ in range(max(1, round(s * slots)))
        ]

    def draw(self, rng: random.Random) -> _Item:
        return self._table[int(rng.random() * len(self._table))]

    def draw_distinct(self, rng: random.Random, count: int) -> list[_Item]:
        drawn: list[_Item] = []
        for _ in range(count * 4):
            item = self.draw(rng)
            if all(item is not d for d in drawn):
                drawn.append(item)
                if len(drawn) == count:
                    break
        return drawn


class _Calendar:
    """The two years of history as day numbers, weighted per channel by season and weekday."""

    def __init__(self, today: date) -> None:
        first = today - timedelta(days=HISTORY_DAYS)
        days = [first + timedelta(days=n) for n in range(HISTORY_DAYS)]
        self._midnights = [datetime.combine(d, time(0), SHOP_ZONE).astimezone(UTC) for d in days]
        self._open = {c: [WEEKDAY_WEIGHT[c][d.weekday()] > 0 for d in days] for c in Channel}
        weight = {c: [MONTH_WEIGHT[d.month] * WEEKDAY_WEIGHT[c][d.weekday()] for d in days]
                  for c in Channel}
        self._cumulative = {c: list(accumulate(weight[c])) for c in Channel}
        self._hours = {c: [h for h, n in enumerate(HOUR_WEIGHT[c]) for _ in range(n)]
                       for c in Channel}
        # Christmas shopping, from the week of Black Friday to the last shipping day.
        self.seasons = [
            (n, min(n + 32, HISTORY_DAYS - 1))
            for n, d in enumerate(days)
            if (d.month, d.day) == (11, 20)
        ]

    def day(self, rng: random.Random, channel: Channel, last: int = HISTORY_DAYS - 1) -> int:
        """A day no later than ``last``; busy months and weekdays come up more often."""
        cumulative = self._cumulative[channel]
        return bisect(cumulative, rng.random() * cumulative[last])

    def rhythm(self, rng: random.Random, count: int, gap: float, channel: Channel) -> list[int]:
        """Up to ``count`` days about ``gap`` apart, of someone who lapsed or still buys."""
        span = round((count - 1) * gap)
        if rng.random() < 0.5:
            day = self.day(rng, channel, max(0, HISTORY_DAYS - 1 - span))
        else:
            day = self.day(rng, channel)  # still buying: their later orders are yet to come
        days: list[int] = []
        while len(days) < count and day < HISTORY_DAYS:
            days.append(day)
            day += max(1, round(gap * min(1.5, max(0.6, rng.gauss(1.0, 0.12)))))
        return days

    def at(self, rng: random.Random, day: int, channel: Channel) -> datetime:
        """A moment on ``day``, or the nearest day the channel is open, in its busy hours."""
        step = -1 if day >= 3 else 1
        while not self._open[channel][day]:
            day += step
        hours = self._hours[channel]
        hour = hours[int(rng.random() * len(hours))]
        return self._midnights[day] + timedelta(seconds=hour * 3600 + int(rng.random() * 3600))


class _Planner:
    """One person's history: how each channel spells them, what they ordered, their carts."""

    def __init__(self, rng: random.Random, shop: _Shop) -> None:
        self.rng = rng
        self.calendar = _Calendar(shop.today)
        shelf = {ONLINE: shop.items, RETAIL: [i for i in shop.items if i.in_store]}
        cross_sell = {**{i.category: 1.0 for i in shop.items}, **STAPLE_WEIGHT}
        gifts = dict.fromkeys(GIFT_CATEGORIES, 1.0)
        self.staples = {c: _Assortment(items, STAPLE_WEIGHT) for c, items in shelf.items()}
        self.extras = {c: _Assortment(items, cross_sell) for c, items in shelf.items()}
        self.gifts = {c: _Assortment(items, gifts) for c, items in shelf.items()}
        self.bulk = _Assortment([i for i in shop.items if i.wholesale], cross_sell)
        self._mixes = [mix for mix, _ in CHANNEL_MIXES]
        self._mix_weights = list(accumulate(w for _, w in CHANNEL_MIXES))
        self._city_weights = list(accumulate(c[2] for c in catalog.CITIES))
        self._bulk_weights = list(accumulate(1 / (n + 2) for n in range(len(BULK_QUANTITIES))))
        self._discounted: dict[tuple[int, Decimal], Decimal] = {}
        self._midnight = datetime.combine(shop.today, time(0), UTC)

    def person(self, number: int, mean_orders: float) -> list[_Event]:
        rng = self.rng
        count = _order_count(rng, mean_orders)
        mix = rng.choices(self._mixes, cum_weights=self._mix_weights)[0] if count else (ONLINE,)
        person = self._person(number, mix)
        if not count:
            # Signed up for an account or the newsletter and never ordered.
            at = self.calendar.at(rng, self.calendar.day(rng, ONLINE), ONLINE)
            return [(at, ONLINE, person.usual[ONLINE], None)]
        counts = self._split(max(count, len(mix)), mix)
        sales = self._bulk_orders(person, counts[WHOLESALE]) if WHOLESALE in counts else []
        if counts.get(ONLINE) or counts.get(RETAIL):
            sales += self._consumer_orders(person, counts.get(ONLINE, 0), counts.get(RETAIL, 0))
        events: list[_Event] = [(s.placed_at, s.channel, s.contact, s) for s in sales]
        return events + self._carts(person, sales) if ONLINE in mix else events

    def _person(self, number: int, channels: tuple[Channel, ...]) -> _Person:
        rng = self.rng
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        city, postcode, _ = rng.choices(catalog.CITIES, cum_weights=self._city_weights)[0]
        address: dict[str, str | None] = {
            "name": f"{first} {last}",
            "line1": f"{rng.choice(catalog.STREETS)} {rng.randint(1, 140)}",
            "postcode": f"{postcode}{rng.randrange(1000):03d}",
            "city": city,
            "country": "DE",
        }
        company = None
        if WHOLESALE in channels:
            company = rng.choice(catalog.COMPANY_FORMS).format(last=last)
        # Online shoppers may check out as guests with an email only; at the till some people
        # give nothing but a phone number.
        email: str | None = catalog.email_address(rng, number, first, last)
        if channels == (RETAIL,) and rng.random() < 0.45:
            email = None
        mobile = None
        if channels != (ONLINE,) or rng.random() < 0.45:
            mobile = catalog.mobile_number(rng, number)
        email_at_till = email is not None and (mobile is None or rng.random() < 0.5)
        # Each channel's details share an email or a phone with the others' (or nobody could
        # tell it is one person): without an email at the till, the phone is given online too.
        phone_online = rng.random() < 0.5 or (RETAIL in channels and not email_at_till)
        # Several channels write one person differently, and never in the normalised form.
        avoid: set[str | None] = {email, f"+49{mobile}"} if len(channels) > 1 else set()
        accepts = rng.random() < 0.62
        person = _Person(
            first, last, email, mobile, company, accepts, address, email_at_till, phone_online,
            avoid,
        )
        for channel in channels:
            person.usual[channel] = usual = self._spell(person, channel)
            if avoid:
                avoid |= {usual.email, usual.phone}
        return person

    def _spell(self, person: _Person, channel: Channel) -> _Contact:
        rng = self.rng
        email = person.email if channel is not RETAIL or person.email_at_till else None
        phone = person.mobile if channel is not ONLINE or person.phone_online else None
        if email:
            email = _spelt(rng, catalog.spell_email, email, channel, person.avoid)
        if phone:
            phone = _spelt(rng, catalog.spell_phone, phone, channel, person.avoid)
        company = person.company if channel is WHOLESALE else None
        consent = person.accepts if email else None  # no email, no marketing question
        return _Contact(email, phone, person.first, person.last, company, consent)

    def _contact(self, person: _Person, channel: Channel) -> _Contact:
        """Mostly the channel's usual spelling, now and then another one."""
        return person.usual[channel] if self.rng.random() < 0.92 else self._spell(person, channel)

    def _split(self, count: int, channels: tuple[Channel, ...]) -> dict[Channel, int]:
        counts = dict.fromkeys(channels, 1)
        shares = list(accumulate(CHANNEL_SHARE[c] for c in channels))
        for channel in self.rng.choices(channels, cum_weights=shares, k=count - len(channels)):
            counts[channel] += 1
        return counts

    def _consumer_orders(self, person: _Person, online: int, retail: int) -> list[_Sale]:
        rng, calendar = self.rng, self.calendar
        home = ONLINE if online else RETAIL
        if online + retail == 1:
            return [self._sale(person, home, calendar.day(rng, home), self._basket(home, []))]
        # Repeat buyers come back when their staples run out: one rhythm per staple, from the
        # store's shelf if they ever shop there.
        plan: list[tuple[int, _Item, int]] = []
        left = online + retail
        for staple in self.staples[RETAIL if retail else ONLINE].draw_distinct(rng, 3):
            quantity = 2 if rng.random() < 0.15 else 1
            gap = (staple.cycle_days or 30) * quantity
            take = min(left, (HISTORY_DAYS - 30) // gap + 1)
            plan += [(day, staple, quantity) for day in calendar.rhythm(rng, take, gap, home)]
            left -= take
            if not left:
                break
        plan.sort(key=itemgetter(0))
        in_store = set(rng.sample(range(len(plan)), min(retail, len(plan) - (online > 0))))
        sales = []
        for n, (day, staple, quantity) in enumerate(plan):
            channel = RETAIL if n in in_store else ONLINE
            basket = self._basket(channel, [(staple, quantity)])
            sales.append(self._sale(person, channel, day, basket))
        for start, end in calendar.seasons:
            if plan[0][0] <= end and plan[-1][0] >= start - 45 and rng.random() < 0.3:
                basket = self._basket(home, [(self.gifts[home].draw(rng), 1)])
                sales.append(self._sale(person, home, rng.randint(start, end), basket))
        return sales

    def _bulk_orders(self, person: _Person, count: int) -> list[_Sale]:
        rng = self.rng
        usual = self.bulk.draw_distinct(rng, rng.randint(2, 6))
        discount = rng.choice(DISCOUNTS)
        sales = []
        for day in self.calendar.rhythm(rng, count, rng.randint(14, 45), WHOLESALE):
            picked = rng.sample(usual, rng.randint(1, min(4, len(usual))))
            quantities = rng.choices(BULK_QUANTITIES, cum_weights=self._bulk_weights, k=len(picked))
            lines = [
                (item, quantity, self._price(item, discount))
                for item, quantity in zip(picked, quantities, strict=True)
            ]
            sales.append(self._sale(person, WHOLESALE, day, lines))
        return sales

    def _basket(self, channel: Channel, chosen: list[tuple[_Item, int]]) -> list[Line]:
        rng = self.rng
        roll = rng.random()
        for _ in range((0 if roll < 0.6 else 1 if roll < 0.88 else 2) + (not chosen)):
            item = self.extras[channel].draw(rng)
            if all(item is not i for i, _ in chosen):
                chosen.append((item, 1 if rng.random() < 0.8 else 2))
        return [(item, quantity, item.price) for item, quantity in chosen]

    def _sale(self, person: _Person, channel: Channel, day: int, lines: list[Line]) -> _Sale:
        rng = self.rng
        contact = self._contact(person, channel)
        roll = rng.random()
        status = OrderStatus.COMPLETED
        if roll < 0.05:
            status = OrderStatus.CANCELLED if roll < 0.03 else OrderStatus.REFUNDED
        address = None
        if channel is not RETAIL:
            # Platforms send the phone with the address, spelt as typed. One dict per spelling,
            # shared by the orders that carry it, so writing serialises it once.
            address = person.shipping.get(contact)
            if address is None:
                address = {**person.address, "company": contact.company, "phone": contact.phone}
                person.shipping[contact] = address
        total = sum([price * quantity for _, quantity, price in lines], Decimal(0))
        placed_at = self.calendar.at(rng, day, channel)
        return _Sale(placed_at, channel, contact, lines, total, status, address)

    def _carts(self, person: _Person, sales: list[_Sale]) -> list[_Event]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            # Left in the last week, where the abandoned-cart trigger looks.
            at = self._midnight - timedelta(seconds=rng.randrange(3600, 7 * 86400))
            contact = self._contact(person, ONLINE)
            return [(at, ONLINE, contact, _Cart(at, self._basket(ONLINE, [])))]
        online = [s for s in sales if s.channel is ONLINE]
        if roll < 0.045 and online:
            sale = max(online, key=lambda s: s.placed_at)
            return [(sale.placed_at, ONLINE, sale.contact, _Cart(sale.placed_at, sale.lines, sale))]
        return []

    def _price(self, item: _Item, factor: Decimal) -> Decimal:
        key = (item.id, factor)
        if key not in self._discounted:
            self._discounted[key] = (item.price * factor).quantize(CENT)
        return self._discounted[key]


def _order_count(rng: random.Random, mean: float) -> int:
    """Orders of one person: a third buy once, most others a few times, some very often."""
    if mean < 1:
        return 1 if rng.random() < mean else 0
    once = max(0.35, 2 - mean)
    if rng.random() < once:
        return 1
    more = (mean - once) / (1 - once) - 2  # the mean of a geometric tail above two orders
    if more <= 0:
        return 2
    return 2 + int(math.log(1 - rng.random()) / math.log(1 - 1 / (1 + more)))


def _spelt(
    rng: random.Random,
    spell: Callable[[random.Random, str, str], str],
    value: str,
    channel: Channel,
    avoid: set[str | None],
) -> str:
    for _ in range(12):
        spelt = spell(rng, value, channel.value)
        if spelt not in avoid:
            break
    return spelt


# ------------------------------------------------------------- customers, found as intake would


class _CustomerBook:
    """One batch's customers, found by normalised email, then phone, as intake finds them.

    Batches cannot meet: every person's email and phone are unique, and the database's unique
    identities would refuse a clash.
    """

    def __init__(self, next_id: int) -> None:
        self.next_id = next_id
        self.rows: dict[int, dict[str, Any]] = {}
        self.identities: list[tuple[Any, ...]] = []
        self._owners: dict[tuple[IdentityKind, str], int] = {}
        self._phones: dict[str, str | None] = {}  # parsing phone numbers is the slow part
        self._matched: dict[_Contact, int | None] = {}

    def match(self, contact: _Contact, *, source: str, seen_at: datetime) -> int | None:
        """The customer behind ``contact``, created or completed; None for a nameless guest."""
        if contact in self._matched:
            # The same details again find the same customer and add nothing but consent.
            customer_id = self._matched[contact]
            if customer_id is not None:
                self._consent(customer_id, contact.accepts_marketing, source, seen_at)
            return customer_id
        customer_id = self._matched[contact] = self._match(contact, source, seen_at)
        return customer_id

    def _match(self, contact: _Contact, source: str, seen_at: datetime) -> int | None:
        email = normalize_email(contact.email)
        phone = None
        if contact.phone:
            if contact.phone not in self._phones:
                self._phones[contact.phone] = normalize_phone(contact.phone, "DE")
            phone = self._phones[contact.phone]
        keys = [
            (kind, value, raw)
            for kind, value, raw in (
                (IdentityKind.EMAIL, email, contact.email),
                (IdentityKind.PHONE, phone, contact.phone),
            )
            if value
        ]
        if not keys:
            return None
        owners = [self._owners[k, v] for k, v, _ in keys if (k, v) in self._owners]
        if owners:
            customer_id = owners[0]
        else:
            customer_id, self.next_id = self.next_id, self.next_id + 1
            self.rows[customer_id] = _new_customer(customer_id, seen_at)
        row = self.rows[customer_id]
        row["email"] = row["email"] or email
        row["phone"] = row["phone"] or phone
        row["first_name"] = row["first_name"] or contact.first_name
        row["last_name"] = row["last_name"] or contact.last_name
        row["company"] = row["company"] or contact.company
        self._consent(customer_id, contact.accepts_marketing, source, seen_at)
        for kind, value, raw in keys:
            if (kind, value) not in self._owners:
                self._owners[kind, value] = customer_id
                self.identities.append((customer_id, kind, "", value, raw, seen_at))
        return customer_id

    def _consent(self, customer_id: int, stated: bool | None, source: str, at: datetime) -> None:
        row = self.rows[customer_id]
        if stated is not None and (row["consent_at"] is None or row["accepts_marketing"] != stated):
            row.update(accepts_marketing=stated, consent_at=at, consent_source=source)

    def add_order(self, customer_id: int, sale: _Sale) -> None:
        """Keep the aggregates intake keeps, by its rule; orders arrive in time order."""
        if sale.status in UNCOUNTED:
            return
        row = self.rows[customer_id]
        row["orders_count"] += 1
        row["total_spent"] += sale.total
        row["first_order_at"] = row["first_order_at"] or sale.placed_at
        row["last_order_at"] = sale.placed_at


def _new_customer(customer_id: int, seen_at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CUSTOMER_COLUMNS)
    row.update(id=customer_id, accepts_marketing=False, orders_count=0, created_at=seen_at)
    row["total_spent"] = Decimal("0.00")
    return row


# ------------------------------------------------------------------------------ writing rows

CUSTOMER_COLUMNS = (
    "id", "email", "phone", "first_name", "last_name", "company", "timezone",
    "accepts_marketing", "consent_at", "consent_source", "orders_count", "total_spent",
    "first_order_at", "last_order_at", "created_at",
)
IDENTITY_COLUMNS = ("customer_id", "kind", "scope", "value", "first_seen_raw", "created_at")
ORDER_COLUMNS = (
    "id", "source_id", "channel", "external_id", "customer_id", "status", "placed_at",
    "currency", "subtotal", "total", "is_test", "warehouse_id", "source_updated_at",
    "created_at", "updated_at",
)
LINE_COLUMNS = ("order_id", "product_id", "sku", "quantity", "unit_price", "total", "status")
CART_COLUMNS = (
    "id", "source_id", "external_id", "customer_id", "status", "currency", "total", "order_id",
    "created_at", "updated_at",
)
CART_ITEM_COLUMNS = ("cart_id", "product_id", "sku", "quantity", "unit_price")


class _Ids:
    """Ids handed out here rather than by the database, so a batch links rows before writing."""

    def __init__(self, connection: Connection) -> None:
        self.customers = (connection.scalar(select(func.max(Customer.id))) or 0) + 1
        self.orders = (connection.scalar(select(func.max(Order.id))) or 0) + 1
        self.carts = (connection.scalar(select(func.max(Cart.id))) or 0) + 1


class _Batch:
    """A batch's rows, with its customers found from the orders' details."""

    def __init__(self, events: list[_Event], ids: _Ids, shop: _Shop) -> None:
        events.sort(key=itemgetter(0))  # intake meets orders in the order they happen
        book = _CustomerBook(ids.customers)
        shipped: list[tuple[Any, ...]] = []  # orders with a shipping address
        in_store: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        carts: list[tuple[Any, ...]] = []
        cart_items: list[tuple[Any, ...]] = []
        for at, channel, contact, what in events:
            customer_id = book.match(contact, source=SOURCES[channel][0], seen_at=at)
            if isinstance(what, _Sale):
                order_id = what.id = ids.orders
                ids.orders += 1
                if customer_id is not None:
                    book.add_order(customer_id, what)
                if channel is ONLINE:
                    external_id, updated = f"{5_400_000_000_000 + order_id}", at  # as Shopify's
                else:
                    prefix = "POS" if channel is RETAIL else "WS"
                    external_id, updated = f"{prefix}-{order_id:08d}", None
                warehouse_id = shop.store_id if channel is RETAIL else None
                order = (
                    order_id, shop.source_ids[channel], channel, external_id, customer_id,
                    what.status, at, "EUR", what.total, what.total, False, warehouse_id, updated,
                    at, at,
                )
                if what.address is None:
                    in_store.append(order)
                else:
                    shipped.append((*order, what.address))
                lines += [
                    (order_id, i.id, i.sku, quantity, price, price * quantity, LineStatus.HISTORY)
                    for i, quantity, price in what.lines
                ]
            elif isinstance(what, _Cart):
                cart_id = ids.carts
                ids.carts += 1
                status = CartStatus.ORDERED if what.order else CartStatus.OPEN
                total = sum([price * quantity for _, quantity, price in what.lines], Decimal(0))
                carts.append((
                    cart_id, shop.source_ids[ONLINE], f"c-{cart_id}", customer_id, status, "EUR",
                    total, what.order.id if what.order else None, at - timedelta(minutes=25), at,
                ))
                cart_items += [(cart_id, i.id, i.sku, q, p) for i, q, p in what.lines]
        ids.customers = book.next_id
        customers = list(map(itemgetter(*CUSTOMER_COLUMNS), book.rows.values()))
        self.tables: list[tuple[type[Base], tuple[str, ...], list[tuple[Any, ...]]]] = [
            (Customer, CUSTOMER_COLUMNS, customers),
            (CustomerIdentity, IDENTITY_COLUMNS, book.identities),
            (Order, (*ORDER_COLUMNS, "shipping_address"), shipped),
            (Order, ORDER_COLUMNS, in_store),  # without an address: NULL, not JSON null
            (OrderLine, LINE_COLUMNS, lines),
            (Cart, CART_COLUMNS, carts),
            (CartItem, CART_ITEM_COLUMNS, cart_items),
        ]

    def counts(self) -> dict[str, int]:
        customers, identities, shipped, in_store, lines, carts, _ = (
            len(rows) for _, _, rows in self.tables
        )
        return {
            "customers": customers,
            "identities": identities,
            "orders": shipped + in_store,
            "lines": lines,
            "carts": carts,
        }

    def write(self, connection: Connection) -> int:
        """Insert the batch in one transaction; the number of customers written."""
        with connection.begin():
            for model, columns, rows in self.tables:
                _insert(connection, model, columns, rows)
            for table in ("customers", "orders", "carts"):
                _advance_sequence(connection, table)
        return len(self.tables[0][2])


def _insert(
    connection: Connection, model: type[Base], columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows with Core's executemany, or on PostgreSQL with COPY, several times faster."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(model), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy:
        if columns[-1] != "shipping_address":
            for row in rows:
                copy.write_row(row)
            return
        # The JSON comes last. Orders share address dicts, alive in ``rows`` while this runs:
        # serialise each once.
        serialised: dict[int, str] = {}
        for row in rows:
            address = row[-1]
            if id(address) not in serialised:
                serialised[id(address)] = json.dumps(address)
            copy.write_row((*row[:-1], serialised[id(address)]))


def _advance_sequence(connection: Connection, table: str) -> None:
    """Move PostgreSQL's id sequence past the ids chosen here, so later inserts do not clash."""
    if connection.dialect.name == "postgresql":
        sequence = f"pg_get_serial_sequence('{table}', 'id')"
        connection.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))
