"""The allocation rule, by example and by property."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.allocation import (
    InsufficientStock,
    LineRequest,
    Pick,
    Shortage,
    StockView,
    choose_warehouses,
)

NORTH, SOUTH, STORE = ("FC-N", 10), ("FC-S", 20), ("STORE", 30)


def stock(*rows: tuple[tuple[str, int], str, int]) -> list[StockView]:
    return [StockView(w, p, sku, n) for (w, p), sku, n in rows]


def test_one_warehouse_that_has_everything_ships_the_whole_order() -> None:
    plan = choose_warehouses(
        [LineRequest(1, "TEA", 2), LineRequest(2, "MUG", 1)],
        stock((NORTH, "TEA", 5), (NORTH, "MUG", 0), (SOUTH, "TEA", 2), (SOUTH, "MUG", 1)),
    )
    assert plan.picks == [Pick(1, "TEA", "FC-S", 2), Pick(2, "MUG", "FC-S", 1)]


def test_among_warehouses_that_have_everything_the_higher_priority_ships() -> None:
    plan = choose_warehouses(
        [LineRequest(1, "TEA", 2)], stock((SOUTH, "TEA", 9), (NORTH, "TEA", 9))
    )
    assert plan.picks == [Pick(1, "TEA", "FC-N", 2)]


def test_when_no_warehouse_has_everything_lines_split_by_priority() -> None:
    plan = choose_warehouses(
        [LineRequest(1, "TEA", 5)], stock((NORTH, "TEA", 3), (SOUTH, "TEA", 4))
    )
    assert plan.picks == [Pick(1, "TEA", "FC-N", 3), Pick(1, "TEA", "FC-S", 2)]


def test_a_shortage_raises_with_every_short_sku_and_allocates_nothing() -> None:
    with pytest.raises(InsufficientStock) as raised:
        choose_warehouses(
            [LineRequest(1, "TEA", 5), LineRequest(2, "MUG", 2), LineRequest(3, "POT", 1)],
            stock((NORTH, "TEA", 3), (SOUTH, "TEA", 1), (NORTH, "POT", 1)),
        )
    assert raised.value.shortages == [Shortage("TEA", 5, 4), Shortage("MUG", 2, 0)]


def test_a_partial_plan_allocates_what_there_is_and_reports_the_rest() -> None:
    plan = choose_warehouses(
        [LineRequest(1, "TEA", 5), LineRequest(2, "MUG", 1)],
        stock((NORTH, "TEA", 3), (NORTH, "MUG", 1)),
        partial=True,
    )
    assert plan.picks == [Pick(1, "TEA", "FC-N", 3), Pick(2, "MUG", "FC-N", 1)]
    assert plan.shortages == [Shortage("TEA", 5, 3)]


warehouses = st.sampled_from([NORTH, SOUTH, STORE])
skus = st.sampled_from(["A", "B", "C"])
stock_rows = st.lists(
    st.builds(lambda w, s, n: StockView(w[0], w[1], s, n), warehouses, skus, st.integers(0, 6)),
    max_size=9,
    unique_by=lambda v: (v.warehouse, v.sku),
)
line_lists = st.lists(st.tuples(skus, st.integers(1, 8)), min_size=1, max_size=5).map(
    lambda rows: [LineRequest(i, sku, q) for i, (sku, q) in enumerate(rows)]
)


def _totals(views: list[StockView]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for v in views:
        total[v.sku] += v.available
    return total


@given(line_lists, stock_rows)
def test_no_warehouse_ever_gives_more_than_it_has(
    lines: list[LineRequest], views: list[StockView]
) -> None:
    plan = choose_warehouses(lines, views, partial=True)
    taken: dict[tuple[str, str], int] = defaultdict(int)
    for pick in plan.picks:
        assert pick.quantity > 0
        taken[pick.warehouse, pick.sku] += pick.quantity
    there = {(v.warehouse, v.sku): v.available for v in views}
    assert all(n <= there.get(key, 0) for key, n in taken.items())
    for line in lines:
        assert plan.allocated(line.line) <= line.quantity


@given(line_lists, stock_rows)
def test_every_unit_that_exists_is_sold_and_shortages_are_exactly_the_gap(
    lines: list[LineRequest], views: list[StockView]
) -> None:
    plan = choose_warehouses(lines, views, partial=True)
    total = _totals(views)
    wanted: dict[str, int] = defaultdict(int)
    for line in lines:
        wanted[line.sku] += line.quantity
    got: dict[str, int] = defaultdict(int)
    for pick in plan.picks:
        got[pick.sku] += pick.quantity
    for sku, n in wanted.items():
        assert got[sku] == min(n, total[sku])
    assert {s.sku: (s.requested, s.available) for s in plan.shortages} == {
        sku: (n, total[sku]) for sku, n in wanted.items() if total[sku] < n
    }


@given(line_lists, stock_rows)
def test_all_or_nothing_raises_exactly_when_some_sku_is_short(
    lines: list[LineRequest], views: list[StockView]
) -> None:
    short = choose_warehouses(lines, views, partial=True).shortages
    if short:
        with pytest.raises(InsufficientStock):
            choose_warehouses(lines, views)
    else:
        plan = choose_warehouses(lines, views)
        assert all(plan.allocated(line.line) == line.quantity for line in lines)


@given(line_lists, stock_rows)
def test_the_order_ships_in_one_parcel_whenever_one_warehouse_could(
    lines: list[LineRequest], views: list[StockView]
) -> None:
    wanted: dict[str, int] = defaultdict(int)
    for line in lines:
        wanted[line.sku] += line.quantity
    there = {(v.warehouse, v.sku): v.available for v in views}
    able = sorted(
        {
            (v.priority, v.warehouse)
            for v in views
            if all(there.get((v.warehouse, s), 0) >= n for s, n in wanted.items())
        }
    )
    plan = choose_warehouses(lines, views, partial=True)
    if able:
        assert {p.warehouse for p in plan.picks} == {able[0][1]}
