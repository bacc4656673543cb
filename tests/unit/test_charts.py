"""Charts as inline SVG: a y axis from zero to a round top, one line per series, titles on
every point, names escaped, and no inline style for the CSP to refuse."""

from __future__ import annotations

import re
from decimal import Decimal

from shopcore.admin.charts import Line, line_chart, nice_ceiling, sparkline


def test_the_top_of_the_axis_is_a_round_number_at_or_above_the_largest_value() -> None:
    assert nice_ceiling(0) == 1
    assert nice_ceiling(7) == 10
    assert nice_ceiling(11) == 20
    assert nice_ceiling(Decimal("2400.50")) == 2500
    assert nice_ceiling(5000) == 5000
    assert nice_ceiling(50001) == 100000


def test_a_line_chart_draws_each_series_with_a_titled_point_per_label() -> None:
    chart = line_chart(
        ["01 Nov", "02 Nov", "03 Nov"],
        [
            Line("online", "online", [Decimal("10.00"), 0, Decimal("40.00")]),
            Line("retail", "retail", [1, 2, 3]),
        ],
        title="Revenue by channel per day",
        money=True,
    )

    assert chart.count("<polyline") == 2
    assert chart.count("<circle") == 6
    assert "<title>online, 03 Nov: 40.00</title>" in chart
    assert 'class="series series-retail"' in chart
    assert "style=" not in chart
    # The axis runs to 50: its top and the 40.00 point, 4/5 of the way up.
    ys = [float(y) for y in re.findall(r'cy="([\d.]+)"', chart)]
    top, bottom = 12.0, 240.0 - 28.0
    assert ys[2] == round(bottom - (bottom - top) * 0.8, 1)
    assert ys[1] == bottom


def test_names_are_escaped_in_the_markup() -> None:
    chart = line_chart(["<b>"], [Line("a<script>", "x", [1])], title='"quoted"')

    assert "<script>" not in chart and "&lt;script&gt;" in chart
    assert 'aria-label="&#34;quoted&#34;"' in chart


def test_a_sparkline_spans_its_lowest_to_its_highest_value() -> None:
    spark = sparkline([3, 3, 5], css="trend", title="Loyal")

    points = re.search(r'points="([^"]+)"', spark)
    assert points is not None
    assert points.group(1) == "0.0,26.0 60.0,26.0 120.0,2.0"
    assert sparkline([], css="trend", title="none") == ""
