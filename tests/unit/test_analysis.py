"""ABC by share of revenue, XYZ by how much monthly demand varies."""

from __future__ import annotations

from decimal import Decimal

from inventory.analysis import classify


def test_products_earning_the_first_80_percent_are_a_the_next_15_b_the_rest_c() -> None:
    revenue = {"TEA": Decimal(700), "MUG": Decimal(150), "POT": Decimal(100), "PIN": Decimal(50)}
    classes = {c.sku: c.abc for c in classify(revenue, {})}
    assert classes == {"TEA": "A", "MUG": "A", "POT": "B", "PIN": "C"}


def test_steady_demand_is_x_seasonal_y_and_erratic_z() -> None:
    revenue = {"TEA": Decimal(1), "GIFT": Decimal(1), "RARE": Decimal(1), "NEW": Decimal(1)}
    units = {
        "TEA": [10, 11, 9, 10, 10, 12],
        "GIFT": [2, 2, 3, 4, 8, 12],
        "RARE": [0, 0, 9, 0, 0, 0],
        "NEW": [0, 0, 0, 0, 0, 0],
    }
    classes = {c.sku: c.xyz for c in classify(revenue, units)}
    assert classes == {"TEA": "X", "GIFT": "Y", "RARE": "Z", "NEW": "Z"}


def test_shares_add_up_to_one_and_ties_rank_by_sku() -> None:
    result = classify({"B": Decimal(5), "A": Decimal(5)}, {})
    assert [c.sku for c in result] == ["A", "B"]
    assert sum(c.revenue_share for c in result) == 1
