"""ABC/XYZ analysis: which products earn the money (ABC) and how steady their demand is (XYZ).

ABC ranks products by revenue: the first 80% of revenue is A, the next 15% B, the rest C.
XYZ looks at units sold per month: a coefficient of variation up to 0.5 is X (steady), up to
1.0 Y (seasonal or trending), above Z (erratic). The rule is pure; ``analyse_products``
feeds it monthly figures aggregated in the database.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from shopcore.enums import OrderStatus
from shopcore.models import Order, OrderLine, Product

A_SHARE, B_SHARE = Decimal("0.80"), Decimal("0.95")
X_CV, Y_CV = 0.5, 1.0


@dataclass(frozen=True)
class ProductClass:
    sku: str
    abc: str
    xyz: str
    revenue: Decimal
    revenue_share: Decimal
    variation: float | None

    @property
    def cell(self) -> str:
        return self.abc + self.xyz


def classify(
    revenue: Mapping[str, Decimal], monthly_units: Mapping[str, Sequence[int]]
) -> list[ProductClass]:
    """Classify each product; ``monthly_units`` has one figure per month, zeros included."""
    total = sum(revenue.values(), Decimal(0))
    ranked = sorted(revenue, key=lambda sku: (-revenue[sku], sku))
    result = []
    running = Decimal(0)
    for sku in ranked:
        share = revenue[sku] / total if total else Decimal(0)
        # A product is A while the revenue before it has not yet reached 80%.
        abc = "A" if running < A_SHARE else "B" if running < B_SHARE else "C"
        running += share
        variation = _variation(monthly_units.get(sku, ()))
        result.append(ProductClass(sku, abc, _xyz(variation), revenue[sku], share, variation))
    return result


def _variation(units: Sequence[int]) -> float | None:
    if len(units) < 2:
        return None
    mean = statistics.fmean(units)
    return statistics.pstdev(units) / mean if mean else None


def _xyz(variation: float | None) -> str:
    if variation is None:
        return "Z"
    return "X" if variation <= X_CV else "Y" if variation <= Y_CV else "Z"


def analyse_products(
    session: Session, *, months: int = 12, now: datetime | None = None
) -> list[ProductClass]:
    """ABC/XYZ over the last ``months`` whole months of real (not test, not cancelled) sales."""
    now = now or datetime.now(UTC)
    first = _month_start(now, months)
    month = _month_expression(session)
    rows = session.execute(
        select(Product.sku, month, func.sum(OrderLine.quantity), func.sum(OrderLine.total))
        .join(OrderLine, OrderLine.product_id == Product.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.placed_at >= first,
            Order.placed_at < _month_start(now, 0),
            Order.is_test.is_(False),
            Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.REFUNDED]),
        )
        .group_by(Product.sku, month)
    )
    keys = [_month_key(_month_start(now, n)) for n in range(months, 0, -1)]
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    units: dict[str, dict[str, int]] = defaultdict(dict)
    for sku, key, quantity, amount in rows:
        revenue[sku] += Decimal(amount)
        units[sku][str(key)] = int(quantity)
    monthly = {sku: [per.get(k, 0) for k in keys] for sku, per in units.items()}
    return classify(revenue, monthly)


def _month_start(now: datetime, months_back: int) -> datetime:
    year, month = now.year, now.month - months_back
    while month <= 0:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=UTC)


def _month_key(start: datetime) -> str:
    return f"{start.year:04d}-{start.month:02d}"


def _month_expression(session: Session) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", Order.placed_at), "YYYY-MM")
    return func.strftime("%Y-%m", Order.placed_at)
