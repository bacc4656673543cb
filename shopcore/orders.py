"""Recording orders as history, idempotently, and keeping customers' order totals exact."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from inventory.models import Warehouse
from shopcore.canonical import CanonicalCustomer, CanonicalOrder
from shopcore.contacts import ContactBook
from shopcore.customers import ContactDetails
from shopcore.enums import Channel, LineStatus, OrderStatus, Platform
from shopcore.lookups import fetch_by_keys
from shopcore.models import Customer, Order, OrderLine, Product, Source

# Orders that do not count towards what a customer has bought.
UNCOUNTED = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
_TOTALS = ("orders_count", "total_spent", "first_order_at", "last_order_at")


class RecordOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class RecordResult:
    order: Order
    outcome: RecordOutcome


class OrderIsLive(ValueError):
    """The order exists with allocated or shipped lines, which history must not replace."""


class UnknownWarehouse(ValueError):
    """No warehouse has the code the order names."""


class SourceConflict(ValueError):
    """A source with that name exists for another platform."""


def get_or_create_source(session: Session, name: str, platform: Platform) -> Source:
    """The source called ``name``, created on first use; the caller commits."""
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        try:
            # A concurrent first use may win the unique name: then take its row.
            with session.begin_nested():
                source = Source(name=name, platform=platform)
                session.add(source)
        except IntegrityError:
            source = session.scalars(select(Source).where(Source.name == name)).one()
    if source.platform != platform:
        raise SourceConflict(f"source {name!r} exists for {source.platform.value}")
    return source


def record_order(
    session: Session,
    order: CanonicalOrder,
    *,
    source: Source,
    region: str | None,
    status: OrderStatus | None = None,
) -> RecordResult:
    """Record a sale that already happened (history: stock is not touched); flushes, no commit.

    The order is keyed by (source, channel, external_id). Recording the same content again
    writes nothing; different content replaces the order's fields and lines in place. The
    customer is matched by ``match_customer`` in the shipping country's numbering plan, or
    ``region``'s; a SKU Shopcore does not know is recorded with no product. Raises
    OrderIsLive when the order exists and is being fulfilled, UnknownWarehouse for a
    warehouse code that does not exist; nothing is written then.
    """
    recorder = OrderRecorder(session, source=source, region=region)
    result = recorder.record(order, status=status)
    recorder.finish()
    return result


class OrderRecorder:
    """Records many history orders in one transaction, with lookups made once per batch.

    ``prefetch`` the batch, ``record`` each order, then ``finish``: it writes the new orders
    in bulk and recounts the totals of every customer touched. Like ``record_order`` one
    order at a time, in a handful of statements for the whole batch when little changed.
    """

    def __init__(self, session: Session, *, source: Source, region: str | None) -> None:
        self._session = session
        self._source_id = source.id
        self._region = region
        self._contacts = ContactBook(session, source=source.name)
        self._orders: dict[tuple[Channel, str], Order | None] = {}
        self._product_ids: dict[str, int | None] = {}
        self._warehouse_ids: dict[str, int | None] = {}
        self._new: list[Order] = []
        self._touched: list[Order] = []
        # Customers that orders were moved away from: their totals drop.
        self._left: set[int] = set()

    def prefetch(self, orders: Iterable[CanonicalOrder]) -> None:
        """Load what recording ``orders`` will need: the orders, products and customers."""
        orders = list(orders)
        self._load_orders({(o.channel, o.external_id) for o in orders})
        self._load_products({line.sku for o in orders for line in o.lines})
        self._contacts.prefetch((_details(o), o.country or self._region) for o in orders)

    def record(self, order: CanonicalOrder, *, status: OrderStatus | None = None) -> RecordResult:
        """Record one order; see ``record_order``. Its new rows are written by ``finish``."""
        key = (order.channel, order.external_id)
        self._load_orders({key})
        existing = self._orders[key]
        if existing is not None and any(x.status != LineStatus.HISTORY for x in existing.lines):
            raise OrderIsLive(
                f"order {order.external_id} ({order.channel.value}) is being fulfilled"
            )
        warehouse_id = self._warehouse_id(order.warehouse)
        self._load_products({line.sku for line in order.lines})
        customer = None
        if order.customer is not None:
            customer = self._contacts.match(
                _details(order), region=order.country or self._region, seen_at=order.placed_at
            ).customer
        if existing is not None and (existing.id is None or (customer and customer.id is None)):
            self._write_new()  # rows made earlier in this batch: compare them by id
        fields: dict[str, Any] = {
            "customer_id": customer.id if customer else None,
            "status": status or OrderStatus.COMPLETED,
            "placed_at": order.placed_at,
            "currency": order.currency,
            "warehouse_id": warehouse_id,
            "shipping_address": order.shipping_address,
            "subtotal": order.subtotal,
            "total": order.subtotal,
        }
        lines = [
            (x.sku, self._product_ids[x.sku], x.quantity, x.unit_price, x.total)
            for x in order.lines
        ]
        if existing is None:
            fields.pop("customer_id")  # a customer created for this batch has no id yet
            record = Order(
                source_id=self._source_id,
                channel=order.channel,
                external_id=order.external_id,
                customer=customer,
                lines=_order_lines(lines),
                **fields,
            )
            # Added at finish(), so that the batch's orders go to the database together.
            self._new.append(record)
            self._orders[key] = record
            self._touched.append(record)
            return RecordResult(record, RecordOutcome.CREATED)
        if _content(existing) == (fields, lines):
            return RecordResult(existing, RecordOutcome.UNCHANGED)
        if existing.customer_id is not None:
            self._left.add(existing.customer_id)
        for name, value in fields.items():
            if getattr(existing, name) != value:
                setattr(existing, name, value)
        if _line_tuples(existing) != lines:
            existing.lines = _order_lines(lines)
        self._touched.append(existing)
        return RecordResult(existing, RecordOutcome.UPDATED)

    def finish(self) -> None:
        """Write the new orders and recount the totals of the customers they touched."""
        self._write_new()
        customer_ids = self._left | {o.customer_id for o in self._touched if o.customer_id}
        refresh_customer_totals(self._session, customer_ids)
        self._touched, self._left = [], set()

    def _write_new(self) -> None:
        self._session.add_all(self._new)
        self._new = []
        self._session.flush()

    def _load_orders(self, keys: set[tuple[Channel, str]]) -> None:
        missing = keys - self._orders.keys()
        if not missing:
            return
        self._orders.update((key, None) for key in missing)
        found = fetch_by_keys(
            self._session,
            Order,
            (Order.channel, Order.external_id),
            missing,
            Order.source_id == self._source_id,
            loading=lambda order: selectinload(order.lines),
        )
        for order in found:
            if (order.channel, order.external_id) in missing:
                self._orders[(order.channel, order.external_id)] = order

    def _load_products(self, skus: set[str]) -> None:
        missing = skus - self._product_ids.keys()
        if missing:
            self._product_ids.update(dict.fromkeys(missing))
            self._product_ids.update(find_product_ids(self._session, missing))

    def _warehouse_id(self, code: str | None) -> int | None:
        if code is None:
            return None
        if code not in self._warehouse_ids:
            self._warehouse_ids[code] = self._session.scalar(
                select(Warehouse.id).where(Warehouse.code == code)
            )
        if self._warehouse_ids[code] is None:
            raise UnknownWarehouse(f"no warehouse {code!r}")
        return self._warehouse_ids[code]


def find_product_ids(session: Session, skus: Iterable[str]) -> dict[str, int]:
    """Ids of the known products among ``skus``, by SKU, in one query."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = session.execute(select(Product.sku, Product.id).where(Product.sku.in_(wanted)))
    return {sku: product_id for sku, product_id in rows}


def refresh_customer_totals(session: Session, customer_ids: Iterable[int]) -> None:
    """Recount the customers' orders, spend and first/last order times from their orders.

    A recount rather than an increment, so an update, a move between customers or a status
    change can never leave a total drifting; one statement for all the customers.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return
    counted = and_(
        Order.customer_id == Customer.id,
        Order.status.not_in(UNCOUNTED),
        Order.is_test.is_(False),
    )

    def over_orders(expression: Any) -> Any:
        return select(expression).where(counted).scalar_subquery()

    session.execute(
        update(Customer)
        .where(Customer.id.in_(ids))
        .values(
            orders_count=over_orders(func.count(Order.id)),
            total_spent=over_orders(func.coalesce(func.sum(Order.total), Decimal("0"))),
            first_order_at=over_orders(func.min(Order.placed_at)),
            last_order_at=over_orders(func.max(Order.placed_at)),
        )
        .execution_options(synchronize_session=False)
    )
    for customer_id in ids:
        loaded = session.identity_map.get(session.identity_key(Customer, customer_id))
        if loaded is not None:
            session.expire(loaded, _TOTALS)


def _details(order: CanonicalOrder) -> ContactDetails:
    c = order.customer or CanonicalCustomer()
    return ContactDetails(
        email=c.email,
        phone=c.phone,
        first_name=c.first_name,
        last_name=c.last_name,
        company=c.company,
        accepts_marketing=c.accepts_marketing,
    )


def _order_lines(lines: list[tuple[str, int | None, int, Decimal, Decimal]]) -> list[OrderLine]:
    return [
        OrderLine(
            sku=sku,
            product_id=product_id,
            quantity=quantity,
            unit_price=unit_price,
            total=total,
            status=LineStatus.HISTORY,
        )
        for sku, product_id, quantity, unit_price, total in lines
    ]


def _line_tuples(order: Order) -> list[tuple[str, int | None, int, Decimal, Decimal]]:
    return [(x.sku, x.product_id, x.quantity, x.unit_price, x.total) for x in order.lines]


def _content(order: Order) -> tuple[dict[str, Any], list[Any]]:
    fields = {
        "customer_id": order.customer_id,
        "status": order.status,
        "placed_at": order.placed_at,
        "currency": order.currency,
        "warehouse_id": order.warehouse_id,
        "shipping_address": order.shipping_address,
        "subtotal": order.subtotal,
        "total": order.total,
    }
    return fields, list(_line_tuples(order))
