"""Quantiles of Student's t distribution, for intervals around a difference of means.

The standard library has the normal distribution only. A holdout of a small trigger may
hold a dozen members, where the normal 1.96 would make a 95% interval about a fifth too
narrow, so intervals use t with Welch's (fractional) degrees of freedom instead.

The t distribution function is written with the regularised incomplete beta function,
evaluated by its continued fraction (Lentz's method, as in Numerical Recipes 6.4), and the
quantile is found by bisection: slow by numerical standards, but a report asks for a
handful of quantiles, and bisection cannot fail to converge.
"""

from __future__ import annotations

import math
from statistics import NormalDist

# Beyond this many degrees of freedom t and the normal distribution agree to 1e-7.
_NORMAL_FROM = 1e7
_TINY = 1e-300
_EPSILON = 1e-15
_MAX_TERMS = 500


def t_quantile(p: float, degrees_of_freedom: float) -> float:
    """The value below which Student's t with these degrees of freedom falls with chance p."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must lie strictly between 0 and 1, not {p}")
    if not degrees_of_freedom > 0:
        raise ValueError(f"degrees of freedom must be positive, not {degrees_of_freedom}")
    if p < 0.5:
        return -t_quantile(1.0 - p, degrees_of_freedom)
    if p == 0.5:
        return 0.0
    if degrees_of_freedom >= _NORMAL_FROM:
        return NormalDist().inv_cdf(p)
    low, high = 0.0, 1.0
    while t_cdf(high, degrees_of_freedom) < p:
        low, high = high, high * 2.0
    # Each pass halves the bracket: about sixty reach double precision; 200 is a guard.
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_cdf(middle, degrees_of_freedom) < p:
            low = middle
        else:
            high = middle
        if high - low <= _EPSILON * max(1.0, high):
            break
    return (low + high) / 2.0


def t_cdf(t: float, degrees_of_freedom: float) -> float:
    """The chance that Student's t with these degrees of freedom is at most t."""
    nu = degrees_of_freedom
    tail = 0.5 * _incomplete_beta(nu / 2.0, 0.5, nu / (nu + t * t))
    return 1.0 - tail if t >= 0 else tail


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # The continued fraction converges fast only on this side of the mean; use the symmetry
    # I_x(a, b) = 1 - I_{1-x}(b, a) on the other.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    def guarded(value: float) -> float:
        return value if abs(value) >= _TINY else _TINY

    c = 1.0
    d = 1.0 / guarded(1.0 - (a + b) * x / (a + 1.0))
    fraction = d
    for m in range(1, _MAX_TERMS):
        even = m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m))
        d = 1.0 / guarded(1.0 + even * d)
        c = guarded(1.0 + even / c)
        fraction *= d * c
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0))
        d = 1.0 / guarded(1.0 + odd * d)
        c = guarded(1.0 + odd / c)
        step = d * c
        fraction *= step
        if abs(step - 1.0) < _EPSILON:
            break
    return fraction
