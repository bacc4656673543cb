"""``shopcore import products|stock|customers|orders FILE.csv``: bulk imports that keep good rows.

Every row is checked before anything is written; bad rows are reported by line and reason
and the good ones are committed in batches. When the database still refuses a batch (a
constraint, a concurrent writer), the batch is retried row by row so that only the
offending row is lost. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shopcore.csvrows import CsvFile, CsvFileError, RowError
from shopcore.customer_import import CustomerImporter
from shopcore.db import Database, utcnow
from shopcore.enums import Channel, Platform
from shopcore.importers import (
    IMPORT_SOURCE,
    Importer,
    Item,
    ProductImporter,
    Rejected,
    RowRejected,
    StockImporter,
    import_note,
)
from shopcore.order_import import OrderImporter
from shopcore.orders import RecordOutcome, get_or_create_source
from shopcore.transactions import Conflict, run_in_transaction

__all__ = ["ImportKind", "ImportReport", "RowError", "import_csv"]

# Past this many, errors are counted but not kept, so a broken million-row file stays small.
MAX_LISTED_ERRORS = 1000
# A batch's lookups send one bound parameter per key; this keeps them far from the limits.
MAX_BATCH = 5000


class ImportKind(StrEnum):
    PRODUCTS = "products"
    STOCK = "stock"
    CUSTOMERS = "customers"
    ORDERS = "orders"


@dataclass
class ImportReport:
    """What an import did. Orders are counted per order, everything else per row."""

    kind: ImportKind
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_not_listed: int = 0

    @property
    def ok(self) -> bool:
        """True when every row was imported (or already there)."""
        return not self.errors

    def summary(self) -> str:
        """One line of counts, e.g. ``orders: 12 created, 0 updated, 3 unchanged, 1 failed``."""
        text = (
            f"{self.kind.value}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.failed} failed"
        )
        if self.errors_not_listed:
            text += f" ({self.errors_not_listed} more errors not listed)"
        return text

    def _count(self, outcome: RecordOutcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def _reject(self, errors: Sequence[RowError]) -> None:
        self.failed += 1
        room = max(0, MAX_LISTED_ERRORS - len(self.errors))
        self.errors.extend(errors[:room])
        self.errors_not_listed += max(0, len(errors) - room)


def import_csv(
    db: Database,
    kind: ImportKind,
    path: Path,
    *,
    channel: Channel | None = None,
    region: str | None = "DE",
    progress: Callable[[int], None] | None = None,
    batch_size: int = 500,
    allocate: bool = False,
) -> ImportReport:
    """Import ``path`` as ``kind``; returns the counts and every rejected row's line and reason.

    ``channel`` fills order rows that have none (the file then needs no channel column);
    ``region`` is the phone numbering plan for numbers written without a country code;
    ``progress(n)`` hears of every ``n`` more bytes read, adding up to the file's size.
    ``batch_size`` rows (orders, for orders) are committed together, at most MAX_BATCH.
    ``allocate`` takes orders as new sales that hold stock (allocated as far as it goes, the
    rest waiting) instead of as history.
    A file that cannot be read at all (no header, a required column missing) is one error
    on line 1 and nothing is imported.
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
    report = ImportReport(kind)
    required, optional = _columns(kind, channel)
    try:
        with CsvFile(path, required=required, optional=optional, progress=progress) as csv_file:
            importer = _importer(
                db, kind, path, csv_file, channel=channel, region=region, allocate=allocate
            )
            batch: list[Item[Any]] = []
            try:
                for entry in importer.items(csv_file.rows()):
                    if isinstance(entry, Rejected):
                        report._reject(entry.errors)
                        continue
                    batch.append(entry)
                    if len(batch) >= batch_size:
                        _write(db, importer, batch, report)
                        batch = []
                        csv_file.report_progress()
            except CsvFileError as e:
                # Reading cannot go on; what was read and checked is still worth keeping.
                report.errors.append(RowError(e.line, e.message))
            _write(db, importer, batch, report)
    except CsvFileError as e:
        report.errors.append(RowError(e.line, e.message))
    # Checks that need the database report a batch later than the others: restore file order.
    report.errors.sort(key=lambda error: error.line)
    return report


def _columns(kind: ImportKind, channel: Channel | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if kind is ImportKind.ORDERS:
        required, optional = OrderImporter.REQUIRED, OrderImporter.OPTIONAL
        if channel is not None:
            return tuple(c for c in required if c != "channel"), (*optional, "channel")
        return required, optional
    if kind is ImportKind.PRODUCTS:
        return ProductImporter.REQUIRED, ProductImporter.OPTIONAL
    if kind is ImportKind.STOCK:
        return StockImporter.REQUIRED, StockImporter.OPTIONAL
    return CustomerImporter.REQUIRED, CustomerImporter.OPTIONAL


def _importer(
    db: Database,
    kind: ImportKind,
    path: Path,
    csv_file: CsvFile,
    *,
    channel: Channel | None,
    region: str | None,
    allocate: bool,
) -> Importer[Any]:
    decimal_comma = csv_file.delimiter == ";"
    if kind is ImportKind.PRODUCTS:
        return ProductImporter(columns=csv_file.columns, decimal_comma=decimal_comma)
    if kind is ImportKind.CUSTOMERS:
        return CustomerImporter(region=region, seen_at=utcnow())
    with db.session() as session:
        if kind is ImportKind.STOCK:
            return StockImporter(session, note=import_note(path))
        # Committed on its own, so a batch that rolls back never takes the source with it.
        source = get_or_create_source(session, IMPORT_SOURCE, Platform.CSV)
        session.commit()
        return OrderImporter(
            session,
            source=source,
            channel=channel,
            region=region,
            decimal_comma=decimal_comma,
            allocate=allocate,
        )


def _write(
    db: Database, importer: Importer[Any], batch: list[Item[Any]], report: ImportReport
) -> None:
    """Commit the batch; if the database refuses it, write its items one at a time."""
    if not batch:
        return
    try:
        # Deadlocks and identities created concurrently are simply tried again.
        results = run_in_transaction(db, lambda session: _write_items(session, importer, batch))
    except (SQLAlchemyError, Conflict) as e:
        if len(batch) > 1:
            for item in batch:
                _write(db, importer, [item], report)
            return
        results = [Rejected([RowError(batch[0].line, f"could not be saved: {_reason(e)}")])]
    for result in results:
        if isinstance(result, Rejected):
            report._reject(result.errors)
        else:
            report._count(result)


def _write_items(
    session: Session, importer: Importer[Any], batch: list[Item[Any]]
) -> list[RecordOutcome | Rejected]:
    importer.prepare(session, batch)
    results: list[RecordOutcome | Rejected] = []
    for item in batch:
        try:
            results.append(importer.write(session, item))
        except RowRejected as e:
            results.append(Rejected(e.errors))
    importer.finish(session)
    return results


def _reason(error: Exception) -> str:
    """The database's own first line, without SQLAlchemy's statement dump."""
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__
