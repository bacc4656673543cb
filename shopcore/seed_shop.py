"""The seeded store itself: its sources, warehouses, catalogue and opening stock counts."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from inventory.models import MovementKind, StockLevel, StockMovement, Warehouse
from inventory.warehouses import add_warehouse
from shopcore import seed_catalog as catalog
from shopcore.enums import Channel, Platform
from shopcore.models import Product, Source
from shopcore.seed_calendar import HISTORY_DAYS
from shopcore.seed_writer import advance_sequence

ONLINE, RETAIL, WHOLESALE = Channel.ONLINE, Channel.RETAIL, Channel.WHOLESALE
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


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    sku: str
    price: Decimal
    cycle_days: int | None
    category: str
    popularity: float
    wholesale: bool
    in_store: bool


@dataclass
class Shop:
    today: date
    items: list[Item]
    source_ids: dict[Channel, int]
    store_id: int
    stock_levels: int


def open_store(session: Session, rng: random.Random, today: date) -> Shop:
    """Sources, warehouses, the catalogue and its opening stock counts, in one transaction."""
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
    advance_sequence(session.connection(), "products")
    items = [
        Item(first_id + n, p.sku, p.price, p.cycle_days, p.category, p.popularity,
              p.wholesale, in_store=rng.random() < 0.45 + p.popularity)
        for n, p in enumerate(specs)
    ]
    levels = _count_stock(session, rng, items, warehouses, today)
    return Shop(today, items, source_ids, warehouses[-1][0], levels)


def _count_stock(
    session: Session,
    rng: random.Random,
    items: list[Item],
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

