"""A batch of people's events turned into table rows, linked by ids chosen before writing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from shopcore import seed_plan as plan
from shopcore.db import Base
from shopcore.enums import CartStatus, Channel, LineStatus
from shopcore.models import Cart, CartItem, Customer, CustomerIdentity, Order, OrderLine
from shopcore.seed_customers import CUSTOMER_COLUMNS, CustomerBook
from shopcore.seed_shop import SOURCES, Shop
from shopcore.seed_writer import Ids, advance_sequence, insert_rows

ONLINE, RETAIL, WHOLESALE = Channel.ONLINE, Channel.RETAIL, Channel.WHOLESALE
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


class Batch:
    """A batch's rows, with its customers found from the orders' details."""

    def __init__(self, events: list[plan.Event], ids: Ids, shop: Shop) -> None:
        events.sort(key=itemgetter(0))  # intake meets orders in the order they happen
        book = CustomerBook(ids.customers)
        shipped: list[tuple[Any, ...]] = []  # orders with a shipping address
        in_store: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        carts: list[tuple[Any, ...]] = []
        cart_items: list[tuple[Any, ...]] = []
        for at, channel, contact, what in events:
            customer_id = book.match(contact, source=SOURCES[channel][0], seen_at=at)
            if isinstance(what, plan.Sale):
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
            elif isinstance(what, plan.Cart):
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
                insert_rows(connection, model, columns, rows)
            for table in ("customers", "orders", "carts"):
                advance_sequence(connection, table)
        return len(self.tables[0][2])

