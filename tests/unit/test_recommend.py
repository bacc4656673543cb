"""The reorder rules with no database: the median interval, choosing cycles, merging windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention.recommend import choose_cycles, median_interval, merge_windows

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_the_median_of_an_odd_count_is_the_middle_interval_whatever_the_order() -> None:
    assert median_interval([30.0, 7.5, 12.0]) == 12.0


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert median_interval([10.0, 40.0, 20.0, 1.0]) == 15.0


def test_one_interval_is_its_own_median() -> None:
    assert median_interval([28.25]) == 28.25


def test_a_median_resists_one_customer_who_came_back_after_a_year() -> None:
    assert median_interval([29.0, 30.0, 31.0, 365.0]) == 30.5


def test_there_is_no_median_of_no_intervals() -> None:
    with pytest.raises(ValueError):
        median_interval([])


def test_a_learned_cycle_wins_over_the_configured_one() -> None:
    assert choose_cycles({1: 30, 2: 60}, {1: 21.5}) == {1: 21.5, 2: 60.0}


def test_a_product_with_only_a_learned_cycle_is_a_consumable_too() -> None:
    assert choose_cycles({}, {7: 45.0}) == {7: 45.0}


def test_cycles_that_could_never_fall_due_are_left_out() -> None:
    assert choose_cycles({1: 0, 2: 30}, {3: 0.0, 4: -2.0}) == {2: 30.0}


def test_overlapping_and_touching_windows_merge_and_separate_ones_stay_apart() -> None:
    windows = [(at(5), at(8)), (at(0), at(2)), (at(1), at(3)), (at(3), at(4)), (at(6), at(7))]

    assert merge_windows(windows) == [(at(0), at(4)), (at(5), at(8))]


def test_no_windows_merge_to_none() -> None:
    assert merge_windows([]) == []


spans = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 10)).map(lambda s: (at(s[0]), at(s[0] + s[1]))),
    max_size=12,
)


@given(spans)
def test_merged_windows_cover_exactly_the_same_moments_and_never_touch(
    windows: list[tuple[datetime, datetime]],
) -> None:
    merged = merge_windows(windows)

    # Windows open at the start and close at the end: check every half hour of the range.
    for moment in (at(h / 2) for h in range(0, 2 * 72)):
        inside = any(a < moment <= b for a, b in windows)
        assert inside == any(a < moment <= b for a, b in merged)
    assert all(b < a for (_, b), (a, _) in zip(merged, merged[1:], strict=False))
