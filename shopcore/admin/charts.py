"""Charts drawn on the server as inline SVG: no script, no library, nothing from elsewhere.

The page's Content-Security-Policy allows no inline styles, so the markup carries SVG
presentation attributes and classes only; colours come from admin.css (``.series-online``).
Every point has a ``<title>`` with its value, which browsers show on hover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

Number = int | Decimal

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 12, 28
GRIDLINES = 4
MAX_X_LABELS = 8
SPARK_WIDTH, SPARK_HEIGHT = 120, 28


@dataclass(frozen=True)
class Line:
    """One series: its name in the legend, its class suffix, a value per label."""

    name: str
    css: str
    values: Sequence[Number]


def line_chart(
    labels: Sequence[str], lines: Sequence[Line], *, title: str, money: bool = False
) -> Markup:
    """A line chart of ``lines`` over ``labels``, with a y axis from zero and a legend."""
    top = nice_ceiling(max((v for line in lines for v in line.values), default=0))
    fmt = _money if money else _count
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (len(labels) - 1) if len(labels) > 1 else plot_w / 2)

    def y(value: Number) -> float:
        return TOP + plot_h * (1 - float(value) / float(top))

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(GRIDLINES + 1):
        tick = top * step / GRIDLINES
        ty = _r(y(tick))
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{ty}" x2="{WIDTH - RIGHT}" y2="{ty}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{ty}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(_compact(tick))}</text>'
        )
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text class="tick" x="{_r(x(i))}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for line in lines:
        points = " ".join(f"{_r(x(i))},{_r(y(v))}" for i, v in enumerate(line.values))
        parts.append(
            f'<polyline class="series series-{escape(line.css)}" fill="none" points="{points}"/>'
        )
        for i, value in enumerate(line.values):
            note = f"{line.name}, {labels[i]}: {fmt(value)}"
            parts.append(
                f'<circle class="dot series-{escape(line.css)}" cx="{_r(x(i))}" '
                f'cy="{_r(y(value))}" r="3"><title>{escape(note)}</title></circle>'
            )
    parts.append("</svg>")
    legend = f'<span class="chart-title">{escape(title)}</span>' + "".join(
        f'<span class="legend-item"><span class="swatch series-{escape(line.css)}"></span>'
        f"{escape(line.name)}</span>"
        for line in lines
    )
    svg = "".join(parts)
    return Markup(f'<figure class="chart">{svg}<figcaption>{legend}</figcaption></figure>')


def sparkline(values: Sequence[Number], *, css: str, title: str) -> Markup:
    """A small line of ``values`` from its lowest to its highest, for a table cell."""
    if not values:
        return Markup("")
    low, high = min(values), max(values)
    span = float(high - low) or 1.0
    step = SPARK_WIDTH / (len(values) - 1) if len(values) > 1 else 0
    points = " ".join(
        f"{_r(i * step)},{_r(SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * float(v - low) / span)}"
        for i, v in enumerate(values)
    )
    return Markup(
        f'<svg class="spark" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<polyline class="series series-{escape(css)}" fill="none" points="{points}"/></svg>'
    )


def nice_ceiling(value: Number) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value`` (min 1)."""
    if value <= 1:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(value))) - 1)
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        if power * factor >= value:
            return power * factor
    raise AssertionError("unreachable: 10 times the power always reaches the value")


def _compact(value: Number) -> str:
    """A tick label: 2500 as 2.5k, 1200000 as 1.2M."""
    amount = Decimal(value)
    for limit, suffix in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if abs(amount) >= limit:
            return f"{(amount / limit).normalize():f}{suffix}"
    return f"{amount.normalize():f}" if amount % 1 else f"{int(amount)}"


def _money(value: Number) -> str:
    return f"{Decimal(value):,.2f}"


def _count(value: Number) -> str:
    return f"{int(value):,}"


def _r(value: float) -> str:
    return f"{value:.1f}"
