"""What the CSV imports do with their rows, and the products and stock counts imports.

An importer turns rows into items, checking everything that needs no writing first, so a
bad row is rejected before it can touch the batch's transaction. ``imports.import_csv``
batches the items and commits them. Customers and orders have modules of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import StockLevel, Warehouse
from inventory.stock import set_on_hand
from shopcore.csvrows import CsvRow, RowError
from shopcore.models import Product
from shopcore.order_stock import allocate_waiting, publish
from shopcore.orders import RecordOutcome, find_product_ids
from shopcore.values import parse_money, parse_whole

T = TypeVar("T")
IMPORT_SOURCE = "import"


@dataclass(frozen=True)
class Item(Generic[T]):
    """A checked unit of work (a row, or an order's rows) starting on ``line``."""

    line: int
    value: T


@dataclass(frozen=True)
class Rejected:
    """A unit that will not be written, with every reason found."""

    errors: list[RowError]


class RowRejected(Exception):
    """Raised by ``write`` when a check that needs the database fails, before any write."""

    def __init__(self, *errors: RowError) -> None:
        super().__init__("; ".join(map(str, errors)))
        self.errors = list(errors)


class Importer(Protocol[T]):
    def items(self, rows: Iterator[CsvRow]) -> Iterator[Item[T] | Rejected]: ...

    def prepare(self, session: Session, items: Sequence[Item[T]]) -> None:
        """Look up what the batch needs in a few queries rather than a few per row."""

    def write(self, session: Session, item: Item[T]) -> RecordOutcome: ...

    def finish(self, session: Session) -> None:
        """Whatever the batch owes before its commit."""


class FieldProblems:
    """The field errors of one row, collected so the row is reported once with all of them."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.errors: list[RowError] = []

    def check(self, column: str, parse: Callable[[str], Any], value: str) -> Any:
        try:
            return parse(value)
        except ValueError as e:
            self.errors.append(RowError(self.line, f"{column}: {e}"))
            return None


def text_of(max_length: int, *, required: bool = False) -> Callable[[str], str | None]:
    """A parser for a trimmed text cell; empty is None, or an error when ``required``."""

    def parse(value: str) -> str | None:
        if not value:
            if required:
                raise ValueError("is required")
            return None
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters, got {len(value)}")
        return value

    return parse


def decimal_point(value: str, *, decimal_comma: bool) -> str:
    """``4,50`` as ``4.50`` in files whose numbers use a decimal comma."""
    # European Excel writes 4,50 and separates with ";"; "1.234,50" stays an error.
    if decimal_comma and "," in value and "." not in value:
        return value.replace(",", ".")
    return value


def load_warehouses(session: Session) -> dict[str, int]:
    return {code: id_ for code, id_ in session.execute(select(Warehouse.code, Warehouse.id))}


class ProductImporter:
    """Upsert products by SKU; absent optional columns leave those fields as they are."""

    REQUIRED = ("sku", "name", "price", "category")
    OPTIONAL = ("image_url", "cycle_days")

    def __init__(self, *, columns: Sequence[str], decimal_comma: bool) -> None:
        self._present = [c for c in self.OPTIONAL if c in columns]
        self._decimal_comma = decimal_comma
        self._products: dict[str, Product] = {}

    def items(self, rows: Iterator[CsvRow]) -> Iterator[Item[dict[str, Any]] | Rejected]:
        for row in rows:
            if row.problem:
                yield Rejected([RowError(row.line, row.problem)])
                continue
            p = FieldProblems(row.line)
            fields = {
                "sku": p.check("sku", text_of(64, required=True), row.get("sku")),
                "name": p.check("name", text_of(200, required=True), row.get("name")),
                "price": p.check(
                    "price",
                    parse_money,
                    decimal_point(row.get("price"), decimal_comma=self._decimal_comma),
                ),
                "category": p.check("category", text_of(100, required=True), row.get("category")),
            }
            if "image_url" in self._present:
                fields["image_url"] = p.check("image_url", text_of(500), row.get("image_url"))
            if "cycle_days" in self._present:
                fields["cycle_days"] = p.check("cycle_days", _cycle_days, row.get("cycle_days"))
            yield Rejected(p.errors) if p.errors else Item(row.line, fields)

    def prepare(self, session: Session, items: Sequence[Item[dict[str, Any]]]) -> None:
        skus = {item.value["sku"] for item in items}
        self._products = {
            p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(skus)))
        }

    def write(self, session: Session, item: Item[dict[str, Any]]) -> RecordOutcome:
        fields = item.value
        product = self._products.get(fields["sku"])
        if product is None:
            self._products[fields["sku"]] = product = Product(**fields)
            session.add(product)
            return RecordOutcome.CREATED
        changed = {k: v for k, v in fields.items() if getattr(product, k) != v}
        for name, value in changed.items():
            setattr(product, name, value)
        return RecordOutcome.UPDATED if changed else RecordOutcome.UNCHANGED

    def finish(self, session: Session) -> None:
        self._products = {}


def _cycle_days(value: str) -> int | None:
    return parse_whole(value, minimum=1) if value else None


@dataclass(frozen=True)
class _Count:
    sku: str
    warehouse_id: int
    on_hand: int


class StockImporter:
    """Counted quantities: a movement only where the count differs from the books.

    Like a count through the API, units a count adds go to orders waiting for them, and the
    storefront hears of the new figures once the batch commits.
    """

    REQUIRED = ("sku", "warehouse", "on_hand")
    OPTIONAL: tuple[str, ...] = ()

    def __init__(self, session: Session, *, note: str) -> None:
        self._warehouses = load_warehouses(session)
        self._note = note[:200]
        self._product_ids: dict[str, int] = {}
        self._levels: dict[tuple[int, int], tuple[int, int]] = {}
        self._changed: set[int] = set()

    def items(self, rows: Iterator[CsvRow]) -> Iterator[Item[_Count] | Rejected]:
        for row in rows:
            if row.problem:
                yield Rejected([RowError(row.line, row.problem)])
                continue
            p = FieldProblems(row.line)
            sku = p.check("sku", text_of(64, required=True), row.get("sku"))
            code = p.check("warehouse", text_of(32, required=True), row.get("warehouse"))
            on_hand = p.check("on_hand", lambda v: parse_whole(v, minimum=0), row.get("on_hand"))
            warehouse_id = self._warehouses.get(code.upper()) if code else None
            if code and warehouse_id is None:
                p.errors.append(RowError(row.line, f"warehouse: no warehouse with code {code!r}"))
            if p.errors or warehouse_id is None:
                yield Rejected(p.errors)
            else:
                yield Item(row.line, _Count(sku, warehouse_id, on_hand))

    def prepare(self, session: Session, items: Sequence[Item[_Count]]) -> None:
        self._product_ids = find_product_ids(session, (i.value.sku for i in items))
        levels = session.execute(
            select(
                StockLevel.product_id,
                StockLevel.warehouse_id,
                StockLevel.on_hand,
                StockLevel.allocated,
            ).where(StockLevel.product_id.in_(set(self._product_ids.values())))
        )
        self._levels = {(p, w): (on_hand, allocated) for p, w, on_hand, allocated in levels}

    def write(self, session: Session, item: Item[_Count]) -> RecordOutcome:
        count = item.value
        product_id = self._product_ids.get(count.sku)
        if product_id is None:
            raise RowRejected(RowError(item.line, f"sku: no product with SKU {count.sku!r}"))
        key = (product_id, count.warehouse_id)
        level = self._levels.get(key)
        if level is not None and level[0] == count.on_hand:
            return RecordOutcome.UNCHANGED
        allocated = level[1] if level else 0
        if count.on_hand < allocated:
            message = f"on_hand: {count.on_hand} is below the {allocated} units allocated to orders"
            raise RowRejected(RowError(item.line, message))
        try:
            moved = set_on_hand(
                session, product_id, count.warehouse_id, count.on_hand, note=self._note
            )
        except ValueError as e:  # allocated since prepare() looked
            raise RowRejected(RowError(item.line, f"on_hand: {e}")) from None
        if moved is not None:
            self._changed.add(product_id)
        self._levels[key] = (count.on_hand, allocated)
        return RecordOutcome.CREATED if level is None else RecordOutcome.UPDATED

    def finish(self, session: Session) -> None:
        allocate_waiting(session, self._changed)
        publish(session, self._changed)
        self._levels, self._changed = {}, set()


def import_note(path: Path) -> str:
    return f"import {path.name}"
