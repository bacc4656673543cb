"""CSV imports: bad rows reported by line and reason, good rows kept, a second run a no-op."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from inventory.models import StockLevel, StockMovement
from inventory.warehouses import add_warehouse
from shopcore import order_import
from shopcore.canonical import parse_order
from shopcore.db import Base, Database
from shopcore.enums import Channel, IdentityKind, OrderStatus, Platform
from shopcore.imports import ImportKind, ImportReport, RowError, import_csv
from shopcore.models import Customer, CustomerIdentity, Order, OrderLine, Product
from shopcore.ordering import IncomingOrder, accept_order
from shopcore.orders import get_or_create_source

ORDER_HEADER = (
    "external_id,channel,placed_at,currency,email,phone,first_name,last_name,company,"
    "sku,quantity,unit_price"
)


def write(tmp_path: Path, body: str, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_text(body.lstrip("\n"), encoding="utf-8")
    return path


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    return report.created, report.updated, report.unchanged, report.failed


def snapshot(db: Database) -> dict[str, tuple[int, str]]:
    """Per table, its row count and a checksum over every column of every row."""
    result = {}
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            result[table.name] = (len(rows), digest)
    return result


def add_catalogue(db: Database, *skus: str) -> None:
    with db.session() as session:
        add_warehouse(session, "MAIN", name="Main", priority=1, channels=list(Channel))
        for sku in skus:
            session.add(Product(sku=sku, name=sku, price=Decimal("4.50"), category="tea"))
        session.commit()


FILES: dict[ImportKind, str] = {
    ImportKind.PRODUCTS: """
sku,name,price,category,image_url,cycle_days
TEA-1,Green tea,4.50,tea,https://example.com/tea-1.jpg,30
TEA-2,Black tea,5.00,tea,,
""",
    ImportKind.STOCK: """
sku,warehouse,on_hand
TEA-1,main,10
TEA-2,MAIN,0
""",
    ImportKind.CUSTOMERS: """
email,phone,first_name,last_name,company,accepts_marketing
ann@example.com,+4915112345678,Ann,Lee,,yes
,030 1234567,Bob,,Bob's Café,no
""",
    ImportKind.ORDERS: f"""
{ORDER_HEADER},status
A-1,online,2026-12-01T10:00:00Z,EUR,ann@example.com,,Ann,Lee,,TEA-1,2,4.50,
A-1,online,2026-12-01T10:00:00Z,EUR,ann@example.com,,Ann,Lee,,UNKNOWN,1,1.00,
A-2,retail,2026-12-02T09:00:00+01:00,EUR,,0151 12345678,,,,TEA-2,1,5.00,refunded
""",
}


@pytest.mark.parametrize("kind", list(ImportKind))
def test_reimporting_the_same_file_changes_nothing(
    db: Database, tmp_path: Path, kind: ImportKind
) -> None:
    add_catalogue(db, "TEA-1", "TEA-2")
    path = write(tmp_path, FILES[kind])
    first = import_csv(db, kind, path)
    assert first.ok, first.errors
    assert first.created + first.updated == 2
    before = snapshot(db)

    second = import_csv(db, kind, path)

    assert counts(second) == (0, 0, 2, 0)
    assert snapshot(db) == before


def test_a_file_with_bad_rows_reports_each_by_line_and_reason_and_keeps_the_good_rows(
    db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        """
sku,name,price,category,image_url,cycle_days
TEA-1,Green tea,4.50,tea,,30
TEA-2,"Black tea,
strong and
malty",5.00,tea,,
TEA-3,Oolong,-1,tea,,
,Nameless,1.00,tea,,
TEA-4,Rooibos,3.005,tea,,0

TEA-5,Mint,3.00,tea,,,,extra
TEA-6,Chai,3.00,tea,,
""",
    )

    report = import_csv(db, ImportKind.PRODUCTS, path)

    assert report.errors == [
        RowError(6, "price: must not be negative, got '-1'"),
        RowError(7, "sku: is required"),
        RowError(8, "price: must have at most 2 decimal places, got '3.005'"),
        RowError(8, "cycle_days: must be a positive whole number, got '0'"),
        RowError(10, "has 8 cells but the header has 6 (a stray delimiter or quote?)"),
    ]
    assert str(report.errors[0]) == "line 6: price: must not be negative, got '-1'"
    assert counts(report) == (3, 0, 0, 4)
    with db.session() as session:
        skus = session.scalars(select(Product.sku).order_by(Product.sku)).all()
        assert skus == ["TEA-1", "TEA-2", "TEA-6"]
        assert session.scalar(select(Product.name).where(Product.sku == "TEA-2")) == (
            "Black tea,\nstrong and\nmalty"
        )


def test_a_missing_required_column_fails_the_file_with_one_error(
    db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, "SKU,Name,Category\nTEA-1,Green tea,tea\nTEA-2,Black tea,tea\n")

    report = import_csv(db, ImportKind.PRODUCTS, path)

    assert report.errors == [
        RowError(1, "missing required column(s): price (found: sku, name, category)")
    ]
    assert counts(report) == (0, 0, 0, 0)
    with db.session() as session:
        assert session.scalar(select(func.count(Product.id))) == 0


def test_orders_from_one_customer_written_differently_across_channels_end_as_one_customer(
    db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        f"""
{ORDER_HEADER}
W-1,online,2026-01-05T10:00:00Z,EUR,Ann.Lee@Example.com,,Ann,Lee,,TEA-1,1,4.50
P-1,retail,2026-02-05T10:00:00Z,EUR, ann.lee@example.com ,+49 151 12345678,Ann,,,TEA-1,1,4.50
P-2,retail,2026-03-05T10:00:00Z,EUR,,0049 151 12345678,,,,TEA-1,2,4.50
B-1,wholesale,2026-04-05T10:00:00Z,EUR,,0151/12345678,,,Lee Tea GmbH,TEA-1,10,3.00
""",
    )

    report = import_csv(db, ImportKind.ORDERS, path)

    assert counts(report) == (4, 0, 0, 0)
    with db.session() as session:
        customer = session.scalars(select(Customer)).one()
        identities = session.execute(
            select(CustomerIdentity.kind, CustomerIdentity.value).order_by(CustomerIdentity.kind)
        ).all()
        assert [(kind, value) for kind, value in identities] == [
            (IdentityKind.EMAIL, "ann.lee@example.com"),
            (IdentityKind.PHONE, "+4915112345678"),
        ]
        assert (customer.orders_count, customer.total_spent) == (4, Decimal("48.00"))
        assert customer.company == "Lee Tea GmbH"
        assert {o.customer_id for o in session.scalars(select(Order))} == {customer.id}


def test_order_lines_are_grouped_by_external_id_and_channel(db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
{ORDER_HEADER}
A-1,online,2026-12-01T10:00:00Z,EUR,ann@example.com,,,,,TEA-1,1,4.50
A-1,Online,2026-12-01T10:00:00Z,EUR,ann@example.com,,,,,TEA-2,2,5.00
A-1,retail,2026-12-03T10:00:00Z,EUR,ann@example.com,,,,,TEA-1,3,4.00
""",
    )

    report = import_csv(db, ImportKind.ORDERS, path)

    assert counts(report) == (2, 0, 0, 0)
    with db.session() as session:
        orders = session.scalars(select(Order).order_by(Order.channel)).all()
        assert [(o.external_id, o.channel, len(o.lines), o.total) for o in orders] == [
            ("A-1", Channel.ONLINE, 2, Decimal("14.50")),
            ("A-1", Channel.RETAIL, 1, Decimal("12.00")),
        ]


def test_rows_of_one_order_split_across_the_file_are_reported_not_merged(
    db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        f"""
{ORDER_HEADER}
A-1,online,2026-12-01T10:00:00Z,EUR,ann@example.com,,,,,TEA-1,1,4.50
B-1,online,2026-12-01T11:00:00Z,EUR,bob@example.com,,,,,TEA-1,1,4.50
A-1,online,2026-12-01T10:00:00Z,EUR,ann@example.com,,,,,TEA-2,1,5.00
""",
    )

    report = import_csv(db, ImportKind.ORDERS, path)

    assert counts(report) == (2, 0, 0, 1)
    assert [(e.line, "must be next to each other" in e.message) for e in report.errors] == [
        (4, True)
    ]
    with db.session() as session:
        assert session.scalar(select(func.count(OrderLine.id))) == 2


def test_a_bad_row_rejects_its_whole_order_and_names_the_order(
    db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        f"""
{ORDER_HEADER},warehouse,status
A-1,online,2026-12-01T10:00:00Z,EUR,ann@example.com,,,,,TEA-1,1,4.50,,
A-1,online,2026-12-01T10:00:00Z,EUR,ann@example.com,,,,,TEA-2,-2,5.00,,
B-1,online,2026-12-01T10:00:00Z,usd,bob@example.com,,,,,TEA-1,1,4.50,NOWHERE,lost
C-1,,2026-12-01,EUR,carl@example.com,,,,,TEA-1,1,4.50,,
""",
    )

    report = import_csv(db, ImportKind.ORDERS, path)

    assert [str(e) for e in report.errors] == [
        "line 3: quantity: must be a positive whole number, got '-2'"
        " (order 'A-1' on lines 2-3 not imported)",
        "line 4: status: must be one of pending, allocated, awaiting_stock, shipped,"
        " completed, cancelled, refunded",
        "line 4: warehouse: no warehouse with code 'NOWHERE'",
        "line 5: channel: is required (the row has none and no --channel was given)",
        "line 5: placed_at: must include a time zone (Z or +01:00), got '2026-12-01'",
    ]
    assert counts(report) == (0, 0, 0, 3)


def test_rows_without_an_external_id_are_reported_one_by_one_and_never_merged(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_import, "MAX_ORDER_LINES", 2)
    row = "2026-12-01T10:00:00Z,EUR,ann@example.com,,,,,TEA-1,1,4.50"
    path = write(
        tmp_path,
        f"""
{ORDER_HEADER}
,online,{row}
,online,{row}
BIG,online,{row}
BIG,online,{row}
BIG,online,{row}
OK,online,{row}
""",
    )

    report = import_csv(db, ImportKind.ORDERS, path)

    assert [str(e) for e in report.errors] == [
        "line 2: external_id: is required",
        "line 3: external_id: is required",
        "line 4: order 'BIG' has more than 2 lines",
    ]
    assert counts(report) == (1, 0, 0, 3)


def test_the_channel_option_fills_rows_without_a_channel(db: Database, tmp_path: Path) -> None:
    header = ORDER_HEADER.replace("channel,", "")
    path = write(
        tmp_path,
        f"{header}\nR-1,2026-12-01T10:00:00Z,EUR,ann@example.com,,,,,TEA-1,1,4.50\n",
    )

    report = import_csv(db, ImportKind.ORDERS, path, channel=Channel.RETAIL)

    assert counts(report) == (1, 0, 0, 0)
    with db.session() as session:
        assert session.scalar(select(Order.channel)) is Channel.RETAIL


def test_updating_a_rows_quantity_updates_the_order_and_the_customer_totals(
    db: Database, tmp_path: Path
) -> None:
    rows = [
        "A-1,online,2026-12-01T10:00:00Z,EUR,ann@example.com,,,,,TEA-1,{q},4.50",
        "A-2,online,2026-12-09T10:00:00Z,EUR,ann@example.com,,,,,TEA-2,1,5.00",
    ]
    body = "\n".join([ORDER_HEADER, *rows]) + "\n"
    import_csv(db, ImportKind.ORDERS, write(tmp_path, body.format(q=2)))

    report = import_csv(db, ImportKind.ORDERS, write(tmp_path, body.format(q=5)))

    assert counts(report) == (0, 1, 1, 0)
    with db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == "A-1")).one()
        assert [line.quantity for line in order.lines] == [5]
        assert order.total == Decimal("22.50")
        customer = session.scalars(select(Customer)).one()
        assert (customer.orders_count, customer.total_spent) == (2, Decimal("27.50"))


def test_a_status_column_sets_the_status_and_cancelled_orders_do_not_count(
    db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, FILES[ImportKind.ORDERS])

    import_csv(db, ImportKind.ORDERS, path)

    with db.session() as session:
        statuses = dict(session.execute(select(Order.external_id, Order.status)).all())
        assert statuses == {"A-1": OrderStatus.COMPLETED, "A-2": OrderStatus.REFUNDED}
        refunded_buyer = session.scalars(select(Customer).where(Customer.email.is_(None))).one()
        assert (refunded_buyer.orders_count, refunded_buyer.total_spent) == (0, Decimal("0"))


def test_a_semicolon_delimited_file_with_a_bom_imports(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    body = "\ufeffSKU;Name;Price;Category\r\nTEA-1;Grüner Tee;4,50;Tee\r\nTEA-2;Chai;3.20;Tee\r\n"
    path.write_bytes(body.encode("utf-8"))

    report = import_csv(db, ImportKind.PRODUCTS, path)

    assert report.ok, report.errors
    with db.session() as session:
        rows = session.execute(
            select(Product.sku, Product.name, Product.price).order_by(Product.sku)
        )
        assert [tuple(r) for r in rows] == [
            ("TEA-1", "Grüner Tee", Decimal("4.50")),
            ("TEA-2", "Chai", Decimal("3.20")),
        ]


def test_rows_that_are_not_utf8_are_reported_and_the_others_kept(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    rows = [f"TEA-{i},Tea {i},1.00,tea\n".encode() for i in range(2000)]
    rows[1500] = "TEE-1,Grüner Tee,1.00,tea\n".encode("latin-1")
    path.write_bytes(b"sku,name,price,category\n" + b"".join(rows))

    report = import_csv(db, ImportKind.PRODUCTS, path, batch_size=100)

    assert counts(report) == (1999, 0, 0, 1)
    assert report.errors == [
        RowError(1502, "is not UTF-8 text: save the file as 'CSV UTF-8' and import it again")
    ]


def test_products_are_upserted_by_sku(db: Database, tmp_path: Path) -> None:
    header = "sku,name,price,category,cycle_days\n"
    import_csv(
        db,
        ImportKind.PRODUCTS,
        write(tmp_path, header + "TEA-1,Green tea,4.50,tea,30\nTEA-2,Black tea,5.00,tea,\n"),
    )

    report = import_csv(
        db,
        ImportKind.PRODUCTS,
        write(tmp_path, "sku,name,price,category\nTEA-1,Green tea,4.90,tea\nTEA-3,Mate,6.00,tea\n"),
    )

    assert counts(report) == (1, 1, 0, 0)
    with db.session() as session:
        tea = session.scalars(select(Product).where(Product.sku == "TEA-1")).one()
        assert (tea.price, tea.cycle_days) == (Decimal("4.90"), 30)  # absent column kept
        assert session.scalar(select(func.count(Product.id))) == 3


def test_a_stock_import_writes_a_count_movement_only_when_the_figure_changes(
    db: Database, tmp_path: Path
) -> None:
    add_catalogue(db, "TEA-1")

    def stock(on_hand: int) -> ImportReport:
        body = f"sku,warehouse,on_hand\nTEA-1,MAIN,{on_hand}\nTEA-9,MAIN,1\nTEA-1,ATTIC,1\n"
        return import_csv(db, ImportKind.STOCK, write(tmp_path, body))

    def movements() -> list[int]:
        with db.session() as session:
            return list(session.scalars(select(StockMovement.on_hand_delta).order_by("id")))

    assert counts(stock(10)) == (1, 0, 0, 2)
    assert counts(stock(10)) == (0, 0, 1, 2)
    assert movements() == [10]
    report = stock(7)
    assert counts(report) == (0, 1, 0, 2)
    assert movements() == [10, -3]
    assert [str(e) for e in report.errors] == [
        "line 3: sku: no product with SKU 'TEA-9'",
        "line 4: warehouse: no warehouse with code 'ATTIC'",
    ]
    with db.session() as session:
        assert session.scalar(select(StockLevel.on_hand)) == 7


def test_a_stock_count_gives_the_new_units_to_orders_waiting_for_them(
    db: Database, tmp_path: Path
) -> None:
    add_catalogue(db, "TEA-1")
    waiting = parse_order(
        {
            "external_id": "W-1",
            "channel": "online",
            "placed_at": "2026-12-01T10:00:00Z",
            "currency": "EUR",
            "lines": [{"sku": "TEA-1", "quantity": 2, "unit_price": "4.50"}],
        }
    )
    with db.session() as session:
        source = get_or_create_source(session, "shop", Platform.GENERIC)
        accept_order(session, IncomingOrder(waiting), source=source, region="DE")
        session.commit()

    import_csv(db, ImportKind.STOCK, write(tmp_path, "sku,warehouse,on_hand\nTEA-1,MAIN,5\n"))

    with db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == "W-1")).one()
        assert order.status is OrderStatus.ALLOCATED
        assert session.scalar(select(StockLevel.allocated)) == 2


def test_customers_import_records_consent_and_matches_existing_customers(
    db: Database, tmp_path: Path
) -> None:
    import_csv(db, ImportKind.ORDERS, write(tmp_path, FILES[ImportKind.ORDERS], "orders.csv"))

    report = import_csv(db, ImportKind.CUSTOMERS, write(tmp_path, FILES[ImportKind.CUSTOMERS]))

    assert counts(report) == (1, 1, 0, 0)
    with db.session() as session:
        ann = session.scalars(select(Customer).where(Customer.email == "ann@example.com")).one()
        assert (ann.accepts_marketing, ann.consent_source, ann.phone) == (
            True,
            "import",
            "+4915112345678",
        )
        assert ann.orders_count == 1


def test_a_database_error_in_a_batch_loses_only_the_offending_row(
    db: Database, tmp_path: Path, poison_products: None
) -> None:
    body = "sku,name,price,category\n" + "".join(
        f"TEA-{i},{'poison' if i == 3 else 'Tea'},1.00,tea\n" for i in range(6)
    )

    report = import_csv(db, ImportKind.PRODUCTS, write(tmp_path, body), batch_size=4)

    assert counts(report) == (5, 0, 0, 1)
    assert [e.line for e in report.errors] == [5]
    assert report.errors[0].message.startswith("could not be saved: ")


def test_progress_reports_add_up_to_the_file_size(db: Database, tmp_path: Path) -> None:
    body = "sku,name,price,category\n" + "".join(f"T-{i},Tea {i},1.00,tea\n" for i in range(3000))
    path = write(tmp_path, body)
    seen: list[int] = []

    import_csv(db, ImportKind.PRODUCTS, path, progress=seen.append, batch_size=500)

    assert len(seen) > 1 and all(n > 0 for n in seen)
    assert sum(seen) == path.stat().st_size


@pytest.fixture
def poison_products(db: Database) -> Iterator[None]:
    """A trigger that makes the database refuse products named 'poison', whatever checks ran."""
    with db.engine.begin() as connection:
        if db.dialect == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER poison BEFORE INSERT ON products WHEN NEW.name = 'poison' "
                    "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF NEW.name = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER poison BEFORE INSERT ON products "
                    "FOR EACH ROW EXECUTE FUNCTION poison()"
                )
            )
    yield None
    with db.engine.begin() as connection:
        connection.execute(
            text("DROP TRIGGER poison" + ("" if db.dialect == "sqlite" else " ON products"))
        )
        if db.dialect != "sqlite":
            connection.execute(text("DROP FUNCTION poison()"))


def test_orders_imported_to_allocate_hold_stock_and_a_rerun_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    add_catalogue(db, "TEA-1")
    import_csv(db, ImportKind.STOCK, write(tmp_path, "sku,warehouse,on_hand\nTEA-1,MAIN,3\n"))
    path = write(
        tmp_path,
        f"""
{ORDER_HEADER}
R-1,retail,2026-12-01T10:00:00Z,EUR,,0151 12345678,,,,TEA-1,2,4.50
W-1,wholesale,2026-12-01T11:00:00Z,EUR,buyer@shop.example,,,,Lee GmbH,TEA-1,5,3.00
""",
    )
    first = import_csv(db, ImportKind.ORDERS, path, allocate=True)
    assert counts(first) == (2, 0, 0, 0)
    before = snapshot(db)
    again = import_csv(db, ImportKind.ORDERS, path, allocate=True)
    assert counts(again) == (0, 0, 2, 0)
    assert snapshot(db) == before
    with db.session() as session:
        rows = session.execute(select(Order.external_id, Order.status))
        statuses = {external_id: status for external_id, status in rows}
        assert statuses == {"R-1": OrderStatus.ALLOCATED, "W-1": OrderStatus.AWAITING_STOCK}
        level = session.scalars(select(StockLevel)).one()
        assert (level.on_hand, level.allocated) == (3, 3)
