"""Realistic synthetic store data, reproducible by seed, written in batches in flat memory.

A seeded store has a catalogue, three warehouses with counted stock, three order sources and
two years of orders in all channels. The generator does not decide who is who: every order
carries the contact details as its channel spelt them, and customers and their identities
come from normalising those spellings, as intake does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcore.db import Database
from shopcore.models import Customer, Product
from shopcore.seed_batch import Batch
from shopcore.seed_plan import Planner
from shopcore.seed_shop import WAREHOUSES, open_store
from shopcore.seed_writer import Ids

BATCH = 5000  # people per transaction: big enough for fast inserts, small enough to stay flat
ORDERS_PER_CUSTOMER = 2.5


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
        _refuse_a_full_store(session)
        shop = open_store(session, rng, today or date.today())
        session.commit()
    planner = Planner(rng, shop)
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
            ids = Ids(connection)
        writing: Future[int] | None = None
        for first in range(1, customers + 1, BATCH):
            people = range(first, min(first + BATCH, customers + 1))
            # Ask for what is left of the target, less what the planner adds on its own
            # (Christmas gifts, one order at least in each of someone's channels).
            overshoot = totals["orders"] / asked if asked else 1.0
            mean = max(0, target - totals["orders"]) / (customers - first + 1) / overshoot
            asked += mean * len(people)
            batch = Batch([e for n in people for e in planner.person(n, mean)], ids, shop)
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


def _refuse_a_full_store(session: Session) -> None:
    """Raise StoreNotEmpty if the store has products or customers."""
    if any(session.scalar(select(t.id).limit(1)) is not None for t in (Product, Customer)):
        raise StoreNotEmpty("the store already has products or customers: seed an empty one")
