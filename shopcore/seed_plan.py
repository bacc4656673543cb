"""One person's history: how each channel spells them, what they ordered, their carts."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from operator import itemgetter

from shopcore import seed_catalog as catalog
from shopcore.enums import Channel, OrderStatus
from shopcore.seed_calendar import HISTORY_DAYS, Calendar
from shopcore.seed_shop import Item, Shop

ONLINE, RETAIL, WHOLESALE = Channel.ONLINE, Channel.RETAIL, Channel.WHOLESALE
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


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity: cheaper
class Contact:
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
    usual: dict[Channel, Contact] = field(default_factory=dict)
    shipping: dict[Contact, dict[str, str | None]] = field(default_factory=dict)


Line = tuple[Item, int, Decimal]  # product, quantity, unit price


@dataclass(slots=True)
class Sale:
    placed_at: datetime
    channel: Channel
    contact: Contact
    lines: list[Line]
    total: Decimal
    status: OrderStatus
    address: dict[str, str | None] | None
    id: int = 0


@dataclass(slots=True)
class Cart:
    updated_at: datetime
    lines: list[Line]
    order: Sale | None = None


# When, through which channel and as whom someone met the shop, and what came of it.
Event = tuple[datetime, Channel, Contact, Sale | Cart | None]


class _Assortment:
    """Products to draw from, each category with its weight and bestsellers more often."""

    def __init__(self, items: Sequence[Item], weights: dict[str, float]) -> None:
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

    def draw(self, rng: random.Random) -> Item:
        return self._table[int(rng.random() * len(self._table))]

    def draw_distinct(self, rng: random.Random, count: int) -> list[Item]:
        drawn: list[Item] = []
        for _ in range(count * 4):
            item = self.draw(rng)
            if all(item is not d for d in drawn):
                drawn.append(item)
                if len(drawn) == count:
                    break
        return drawn



class Planner:
    """One person's history: how each channel spells them, what they ordered, their carts."""

    def __init__(self, rng: random.Random, shop: Shop) -> None:
        self.rng = rng
        self.calendar = Calendar(shop.today)
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

    def person(self, number: int, mean_orders: float) -> list[Event]:
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
        events: list[Event] = [(s.placed_at, s.channel, s.contact, s) for s in sales]
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

    def _spell(self, person: _Person, channel: Channel) -> Contact:
        rng = self.rng
        email = person.email if channel is not RETAIL or person.email_at_till else None
        phone = person.mobile if channel is not ONLINE or person.phone_online else None
        if email:
            email = _spelt(rng, catalog.spell_email, email, channel, person.avoid)
        if phone:
            phone = _spelt(rng, catalog.spell_phone, phone, channel, person.avoid)
        company = person.company if channel is WHOLESALE else None
        consent = person.accepts if email else None  # no email, no marketing question
        return Contact(email, phone, person.first, person.last, company, consent)

    def _contact(self, person: _Person, channel: Channel) -> Contact:
        """Mostly the channel's usual spelling, now and then another one."""
        return person.usual[channel] if self.rng.random() < 0.92 else self._spell(person, channel)

    def _split(self, count: int, channels: tuple[Channel, ...]) -> dict[Channel, int]:
        counts = dict.fromkeys(channels, 1)
        shares = list(accumulate(CHANNEL_SHARE[c] for c in channels))
        for channel in self.rng.choices(channels, cum_weights=shares, k=count - len(channels)):
            counts[channel] += 1
        return counts

    def _consumer_orders(self, person: _Person, online: int, retail: int) -> list[Sale]:
        rng, calendar = self.rng, self.calendar
        home = ONLINE if online else RETAIL
        if online + retail == 1:
            return [self._sale(person, home, calendar.day(rng, home), self._basket(home, []))]
        # Repeat buyers come back when their staples run out: one rhythm per staple, from the
        # store's shelf if they ever shop there.
        plan: list[tuple[int, Item, int]] = []
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

    def _bulk_orders(self, person: _Person, count: int) -> list[Sale]:
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

    def _basket(self, channel: Channel, chosen: list[tuple[Item, int]]) -> list[Line]:
        rng = self.rng
        roll = rng.random()
        for _ in range((0 if roll < 0.6 else 1 if roll < 0.88 else 2) + (not chosen)):
            item = self.extras[channel].draw(rng)
            if all(item is not i for i, _ in chosen):
                chosen.append((item, 1 if rng.random() < 0.8 else 2))
        return [(item, quantity, item.price) for item, quantity in chosen]

    def _sale(self, person: _Person, channel: Channel, day: int, lines: list[Line]) -> Sale:
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
        return Sale(placed_at, channel, contact, lines, total, status, address)

    def _carts(self, person: _Person, sales: list[Sale]) -> list[Event]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            # Left in the last week, where the abandoned-cart trigger looks.
            at = self._midnight - timedelta(seconds=rng.randrange(3600, 7 * 86400))
            contact = self._contact(person, ONLINE)
            return [(at, ONLINE, contact, Cart(at, self._basket(ONLINE, [])))]
        online = [s for s in sales if s.channel is ONLINE]
        if roll < 0.045 and online:
            sale = max(online, key=lambda s: s.placed_at)
            return [(sale.placed_at, ONLINE, sale.contact, Cart(sale.placed_at, sale.lines, sale))]
        return []

    def _price(self, item: Item, factor: Decimal) -> Decimal:
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

