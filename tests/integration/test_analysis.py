"""ABC/XYZ from real orders, test and cancelled orders left out."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from inventory.analysis import analyse_products
from shopcore.db import Database
from shopcore.enums import Channel, LineStatus, OrderStatus, Platform
from shopcore.models import Order, OrderLine, Source
from tests.factories import add_product, random_ref

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def test_monthly_sales_are_classified_from_the_database(db: Database) -> None:
    with db.session() as session:
        tea, kettle = add_product(session, "TEA"), add_product(session, "KETTLE")
        source = Source(name="pos", platform=Platform.API)
        session.add(source)

        def sell(product_id: int, sku: str, month: int, qty: int, **extra: object) -> None:
            placed = datetime(2026, month, 15, 12, tzinfo=UTC)
            price = Decimal("10.00")
            session.add(
                Order(
                    source=source,
                    channel=Channel.RETAIL,
                    external_id=random_ref(),
                    status=extra.get("status", OrderStatus.COMPLETED),
                    placed_at=placed,
                    currency="EUR",
                    subtotal=price * qty,
                    total=price * qty,
                    is_test=bool(extra.get("is_test", False)),
                    lines=[
                        OrderLine(
                            sku=sku,
                            product_id=product_id,
                            quantity=qty,
                            unit_price=price,
                            total=price * qty,
                            status=LineStatus.HISTORY,
                        )
                    ],
                )
            )

        for month in range(1, 12):
            sell(tea.id, "TEA", month, 10)
        sell(kettle.id, "KETTLE", 11, 5)
        sell(kettle.id, "KETTLE", 11, 500, is_test=True)
        sell(kettle.id, "KETTLE", 10, 500, status=OrderStatus.CANCELLED)
        sell(kettle.id, "KETTLE", 12, 500)  # this month: not a whole month yet
        session.commit()

        result = {c.sku: c for c in analyse_products(session, months=12, now=NOW)}
    assert result["TEA"].cell == "AX"
    assert result["TEA"].revenue == Decimal("1100.00")
    assert result["KETTLE"].cell == "CZ"
    assert result["KETTLE"].revenue == Decimal("50.00")
