"""Treated against holdout: the difference of mean revenue per member and what it adds up to.

Groups arrive as sufficient statistics (count, sum, sum of squares), which the database
computes in one pass, so a million members never reach Python. The interval is Welch's:
the two groups' variances are not assumed equal (a holdout is small and mostly zeros), and
the t quantile uses the Welch-Satterthwaite degrees of freedom. Revenue is skewed, so for
small groups the interval is a rough guide rather than an exact 95%.

Where the data cannot support an answer the value is None, not an error: no difference
without a member in each group, no standard error or interval without two in each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from retention.student_t import t_quantile

CONFIDENCE = 0.95
ZERO = Decimal(0)


class Sample(NamedTuple):
    """A group's size and the sum and sum of squares of one value per member."""

    n: int
    sum: Decimal
    sum_of_squares: Decimal

    @classmethod
    def of(cls, values: Iterable[Decimal]) -> Sample:
        """The sufficient statistics of these values."""
        listed = list(values)
        return cls(len(listed), sum(listed, ZERO), sum((v * v for v in listed), ZERO))

    @property
    def mean(self) -> Decimal | None:
        return self.sum / self.n if self.n else None

    @property
    def variance(self) -> Decimal | None:
        """The unbiased sample variance; None below two members."""
        if self.n < 2:
            return None
        spread = (self.sum_of_squares - self.sum * self.sum / self.n) / (self.n - 1)
        # Sums read back as floats (SQLite) can leave a hair below zero for equal values.
        return max(spread, ZERO)


@dataclass(frozen=True)
class Estimate:
    """A difference with its standard error and 95% interval (low, high), each None if unknown."""

    difference: Decimal | None
    standard_error: Decimal | None
    interval: tuple[Decimal, Decimal] | None

    def scaled(self, factor: Decimal) -> Estimate:
        """The same estimate multiplied by a positive constant."""
        if self.difference is None:
            return self
        error = None if self.standard_error is None else self.standard_error * factor
        interval = None
        if self.interval is not None:
            interval = (self.interval[0] * factor, self.interval[1] * factor)
        return Estimate(self.difference * factor, error, interval)


UNKNOWN = Estimate(None, None, None)


def difference_of_means(treated: Sample, control: Sample) -> Estimate:
    """Mean of treated minus mean of control, with Welch's standard error and 95% interval."""
    if treated.mean is None or control.mean is None:
        return UNKNOWN
    difference = treated.mean - control.mean
    if treated.variance is None or control.variance is None:
        return Estimate(difference, None, None)
    share_t = treated.variance / treated.n
    share_c = control.variance / control.n
    squared_error = share_t + share_c
    if squared_error == 0:
        # Every member of each group has the same value: nothing is uncertain.
        return Estimate(difference, ZERO, (difference, difference))
    degrees = squared_error**2 / (share_t**2 / (treated.n - 1) + share_c**2 / (control.n - 1))
    error = squared_error.sqrt()
    margin = error * Decimal(repr(t_quantile(0.5 + CONFIDENCE / 2, float(degrees))))
    return Estimate(difference, error, (difference - margin, difference + margin))


def incremental_revenue(treated: Sample, holdout: Sample) -> Estimate:
    """Revenue the messages added: (per treated member - per holdout member) x treated members.

    The holdout's revenue per member is what the treated members would have spent without
    the messages, so the excess over it, times the treated members, is the added revenue;
    its interval is the difference's interval times the same count.
    """
    return difference_of_means(treated, holdout).scaled(Decimal(treated.n))
