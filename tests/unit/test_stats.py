"""Welch's difference of means and incremental revenue, against numbers worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from retention.stats import Estimate, Sample, difference_of_means, incremental_revenue


def sample(*values: str) -> Sample:
    return Sample.of(Decimal(v) for v in values)


Rounded = tuple[Decimal | None, Decimal | None, tuple[Decimal | None, ...] | None]


def rounded(estimate: Estimate) -> Rounded:
    """The estimate to four places, so hand-worked numbers can be compared exactly."""

    def r(value: Decimal | None) -> Decimal | None:
        return None if value is None else value.quantize(Decimal("0.0001"))

    interval = None if estimate.interval is None else tuple(r(v) for v in estimate.interval)
    return r(estimate.difference), r(estimate.standard_error), interval


def test_a_sample_holds_its_size_sum_and_sum_of_squares() -> None:
    s = sample("10", "20", "30", "40")

    assert s == Sample(4, Decimal("100"), Decimal("3000"))
    assert s.mean == Decimal("25")
    # (3000 - 100^2 / 4) / 3
    assert s.variance is not None
    assert s.variance.quantize(Decimal("0.001")) == Decimal("166.667")


def test_two_members_each_with_equal_spread_give_two_degrees_of_freedom() -> None:
    # Means 2 and 1; variances 2 and 2; SE = sqrt(2/2 + 2/2) = 1.41421; Welch df = 2,
    # t(0.975, 2) = 4.302653, margin = 6.084870.
    estimate = difference_of_means(sample("1", "3"), sample("0", "2"))

    assert rounded(estimate) == (
        Decimal("1.0000"),
        Decimal("1.4142"),
        (Decimal("-5.0849"), Decimal("7.0849")),
    )


def test_four_members_each_give_six_degrees_of_freedom() -> None:
    # Means 25 and 15; variances 500/3 each; SE = sqrt(2 * 500/12) = 9.128709; df = 6,
    # t(0.975, 6) = 2.446912, margin = 22.337148.
    estimate = difference_of_means(sample("10", "20", "30", "40"), sample("0", "10", "20", "30"))

    assert rounded(estimate) == (
        Decimal("10.0000"),
        Decimal("9.1287"),
        (Decimal("-12.3371"), Decimal("32.3371")),
    )


def test_unequal_spreads_use_welchs_degrees_of_freedom() -> None:
    # Treated 10, 20, 30, 0: mean 15, variance 500/3. Control 0, 10, 5: mean 5, variance 25.
    # SE^2 = 125/3 + 25/3 = 50; df = 2500 / ((125/3)^2 / 3 + (25/3)^2 / 2) = 4.07547;
    # t(0.975, 4.07547) ~ 2.757, interpolated in 1/df between the table's 2.7764 at 4 and
    # 2.5706 at 5; margin ~ 2.757 * 7.0711 = 19.495.
    estimate = difference_of_means(sample("10", "20", "30", "0"), sample("0", "10", "5"))

    difference, error, interval = rounded(estimate)
    assert (difference, error) == (Decimal("10.0000"), Decimal("7.0711"))
    assert interval is not None
    low, high = interval
    assert low is not None and high is not None
    assert float(low) == pytest.approx(10 - 19.495, abs=0.02)
    assert float(high) == pytest.approx(10 + 19.495, abs=0.02)


def test_incremental_revenue_is_the_difference_times_the_treated_members() -> None:
    # Per member 25 treated against 15 held out: 10 more each, times 4 treated members;
    # the error and the margin (22.337148, above) are four times as large too.
    estimate = incremental_revenue(sample("10", "20", "30", "40"), sample("0", "10", "20", "30"))

    assert rounded(estimate) == (
        Decimal("40.0000"),
        Decimal("36.5148"),
        (Decimal("-49.3486"), Decimal("129.3486")),
    )


def test_groups_without_spread_have_an_interval_of_one_point() -> None:
    estimate = difference_of_means(sample("5", "5", "5"), sample("0", "0"))

    assert estimate == Estimate(Decimal("5"), Decimal("0"), (Decimal("5"), Decimal("5")))


def test_one_member_groups_have_a_difference_but_no_interval() -> None:
    estimate = incremental_revenue(sample("30", "10"), sample("4"))

    assert estimate == Estimate(Decimal("32"), None, None)


@pytest.mark.parametrize(
    ("treated", "holdout"),
    [(Sample(0, Decimal(0), Decimal(0)), sample("1", "2")), (sample("1", "2"), sample())],
)
def test_an_empty_group_gives_no_estimate_at_all(treated: Sample, holdout: Sample) -> None:
    assert difference_of_means(treated, holdout) == Estimate(None, None, None)
    assert incremental_revenue(treated, holdout) == Estimate(None, None, None)


def test_sums_read_back_as_floats_never_give_a_negative_variance() -> None:
    # Three members of 0.1 each, their squares summed in binary floating point.
    s = Sample(3, Decimal("0.3"), Decimal(str(0.1 * 0.1 + 0.1 * 0.1 + 0.1 * 0.1)))

    assert s.variance is not None
    assert s.variance >= 0
