"""Student's t quantiles against the printed tables, and the normal limit."""

from __future__ import annotations

import pytest

from retention.student_t import t_cdf, t_quantile


@pytest.mark.parametrize(
    ("degrees", "quantile"),
    [(1, 12.7062), (2, 4.3027), (4, 2.7764), (6, 2.4469), (10, 2.2281), (30, 2.0423)],
)
def test_the_two_sided_95_percent_point_matches_the_table(degrees: int, quantile: float) -> None:
    assert t_quantile(0.975, degrees) == pytest.approx(quantile, abs=1e-4)


def test_fractional_degrees_fall_between_their_neighbours() -> None:
    assert t_quantile(0.975, 4) > t_quantile(0.975, 4.5) > t_quantile(0.975, 5)


def test_many_degrees_of_freedom_give_the_normal_quantile() -> None:
    assert t_quantile(0.975, 1e6) == pytest.approx(1.959966, abs=1e-5)
    assert t_quantile(0.975, 1e9) == pytest.approx(1.959964, abs=1e-6)


def test_the_distribution_is_symmetric_about_zero() -> None:
    assert t_quantile(0.025, 10) == pytest.approx(-t_quantile(0.975, 10))
    assert t_quantile(0.5, 3) == 0.0
    assert t_cdf(0.0, 3) == pytest.approx(0.5)
    assert t_cdf(-2.0, 4) == pytest.approx(0.058058, abs=1e-6)


@pytest.mark.parametrize(("p", "degrees"), [(0.0, 5), (1.0, 5), (0.9, 0), (0.9, -1)])
def test_impossible_arguments_are_refused(p: float, degrees: float) -> None:
    with pytest.raises(ValueError):
        t_quantile(p, degrees)
