"""Importing order history from CSV: one row per line, the rows of an order next to each other.

Rows with the same (external_id, channel) that follow each other form one order. Rows of
one order that are split across the file are refused rather than buffered: holding every
order open until the end of the file would make memory grow with the file, and guessing
which part is right would be worse. The split is found from a 64-bit digest per order key
already seen (some 60 bytes an order, nothing per row), and every row of the late part is
reported. Exports from shops and spreadsheets sorted by order number already satisfy this.

An order is all or nothing: one bad row rejects the whole order and is reported with its
line, so the history never holds half an order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

from sqlalchemy.orm import Session

from shopcore.canonical import CanonicalOrder, InvalidOrder, parse_order
from shopcore.csvrows import CsvRow, RowError
from shopcore.enums import Channel, OrderStatus
from shopcore.importers import Item, Rejected, RowRejected, decimal_point, load_warehouses
from shopcore.models import Source
from shopcore.ordering import IncomingOrder, Outcome, accept_order
from shopcore.orders import OrderIsLive, OrderRecorder, RecordOutcome, UnknownWarehouse

_OUTCOMES = {
    Outcome.CREATED: RecordOutcome.CREATED,
    Outcome.UPDATED: RecordOutcome.UPDATED,
    Outcome.UNCHANGED: RecordOutcome.UNCHANGED,
    Outcome.STALE: RecordOutcome.UNCHANGED,
}
# Rows of one order are held until the order ends; this bounds what one order may hold.
MAX_ORDER_LINES = 10_000
_LINE_FIELD = re.compile(r"lines\[(?P<index>[0-9]+)\](?:\.(?P<column>\w+))?")
CUSTOMER_COLUMNS = ("email", "phone", "first_name", "last_name", "company")
# Columns that describe the order rather than the line, so all its rows must agree on them.
ORDER_COLUMNS = ("placed_at", "currency", *CUSTOMER_COLUMNS, "warehouse", "status")


@dataclass(frozen=True)
class _HistoryOrder:
    order: CanonicalOrder
    status: OrderStatus | None


class OrderImporter:
    REQUIRED = (
        *("external_id", "channel", "placed_at", "currency"),
        *CUSTOMER_COLUMNS,
        *("sku", "quantity", "unit_price"),
    )
    OPTIONAL = ("warehouse", "status")

    def __init__(
        self,
        session: Session,
        *,
        source: Source,
        channel: Channel | None,
        region: str | None,
        decimal_comma: bool,
        allocate: bool = False,
    ) -> None:
        self._source = source
        self._allocate = allocate
        self._channel = channel.value if channel else ""
        self._region = region
        self._decimal_comma = decimal_comma
        self._warehouses = load_warehouses(session)
        self._seen: set[int] = set()
        self._recorder: OrderRecorder

    def items(self, rows: Iterator[CsvRow]) -> Iterator[Item[_HistoryOrder] | Rejected]:
        group: list[CsvRow] = []
        key: tuple[str, str] | None = None
        overflow = 0
        for row in rows:
            if not row.get("external_id"):
                # Without an id a row cannot join an order; rows left blank must not merge.
                yield Rejected([RowError(row.line, row.problem or "external_id: is required")])
                continue
            row_key = (row.get("external_id"), self._channel_of(row).lower())
            if group and row_key == key:
                if len(group) < MAX_ORDER_LINES:
                    group.append(row)
                else:
                    overflow += 1
                continue
            if group:
                yield self._order(group, overflow)
            group, key, overflow = [row], row_key, 0
        if group:
            yield self._order(group, overflow)

    def prepare(self, session: Session, items: Sequence[Item[_HistoryOrder]]) -> None:
        self._recorder = OrderRecorder(session, source=self._source, region=self._region)
        if not self._allocate:
            self._recorder.prefetch(item.value.order for item in items)

    def write(self, session: Session, item: Item[_HistoryOrder]) -> RecordOutcome:
        try:
            if self._allocate:
                return self._accept(session, item.value)
            return self._recorder.record(item.value.order, status=item.value.status).outcome
        except (OrderIsLive, UnknownWarehouse) as e:
            raise RowRejected(RowError(item.line, str(e))) from None

    def finish(self, session: Session) -> None:
        if not self._allocate:
            self._recorder.finish()

    def _accept(self, session: Session, value: _HistoryOrder) -> RecordOutcome:
        """A new order to allocate (``--allocate``): what the webhooks do with a store's sale."""
        incoming = IncomingOrder(value.order, status=value.status or OrderStatus.PENDING)
        accepted = accept_order(session, incoming, source=self._source, region=self._region)
        return _OUTCOMES[accepted.outcome]

    def _channel_of(self, row: CsvRow) -> str:
        return row.get("channel") or self._channel

    def _order(self, rows: list[CsvRow], overflow: int) -> Item[_HistoryOrder] | Rejected:
        first = rows[0]
        external_id = first.get("external_id")
        errors = self._split(rows) + self._disagreements(rows)
        if overflow:
            message = f"order {external_id!r} has more than {MAX_ORDER_LINES} lines"
            return Rejected([RowError(first.line, message)])
        status = None
        try:
            order = parse_order(self._canonical(rows))
        except InvalidOrder as e:
            errors += [self._located(rows, error.field, error.message) for error in e.errors]
        if first.get("status"):
            try:
                status = OrderStatus(first.get("status").lower())
            except ValueError:
                names = ", ".join(s.value for s in OrderStatus)
                errors.append(RowError(first.line, f"status: must be one of {names}"))
        code = first.get("warehouse").upper()
        if code and code not in self._warehouses:
            errors.append(RowError(first.line, f"warehouse: no warehouse with code {code!r}"))
        if errors:
            if len(rows) > 1:
                lines = f"{first.line}-{rows[-1].line}"
                note = f" (order {external_id!r} on lines {lines} not imported)"
                errors = [RowError(e.line, e.message + note) for e in errors]
            return Rejected(sorted(errors, key=lambda e: e.line))
        return Item(first.line, _HistoryOrder(order, status))

    def _split(self, rows: list[CsvRow]) -> list[RowError]:
        external_id = rows[0].get("external_id")
        channel = self._channel_of(rows[0]).lower()
        digest = blake2b(f"{channel}\x00{external_id}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big")
        if key not in self._seen:
            self._seen.add(key)
            return []
        message = (
            f"order {external_id!r} ({channel}) appeared earlier in the file: "
            "the rows of one order must be next to each other"
        )
        return [RowError(row.line, message) for row in rows]

    def _disagreements(self, rows: list[CsvRow]) -> list[RowError]:
        first, errors = rows[0], []
        for row in rows:
            if row.problem:
                errors.append(RowError(row.line, row.problem))
        for row in rows[1:]:
            for column in ORDER_COLUMNS:
                if row.get(column) != first.get(column):
                    message = (
                        f"{column}: {row.get(column)!r} differs from {first.get(column)!r} "
                        f"on line {first.line}, a row of the same order"
                    )
                    errors.append(RowError(row.line, message))
        return errors

    def _canonical(self, rows: list[CsvRow]) -> dict[str, Any]:
        first = rows[0]
        return {
            "external_id": first.get("external_id"),
            "channel": self._channel_of(first),
            "placed_at": first.get("placed_at"),
            "currency": first.get("currency"),
            "customer": {column: first.get(column) for column in CUSTOMER_COLUMNS},
            "lines": [
                {
                    "sku": row.get("sku"),
                    "quantity": row.get("quantity"),
                    "unit_price": decimal_point(
                        row.get("unit_price"), decimal_comma=self._decimal_comma
                    ),
                }
                for row in rows
            ],
            "warehouse": first.get("warehouse") or None,
        }

    @staticmethod
    def _located(rows: list[CsvRow], field: str, message: str) -> RowError:
        """Put a canonical field error on the row and under the column it came from."""
        in_line = _LINE_FIELD.fullmatch(field)
        if in_line:
            row = rows[int(in_line["index"])]
            return RowError(row.line, f"{in_line['column'] or 'line'}: {message}")
        column = field.removeprefix("customer.")
        if column == "lines":
            column = "order total"
        if column == "channel" and not rows[0].get("channel"):
            message += " (the row has none and no --channel was given)"
        return RowError(rows[0].line, f"{column}: {message}")
