"""The dashboard: sales by channel over a period, what needs attention, retention at a glance."""

from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup

from shopcore.admin.access import requires
from shopcore.admin.attention_queries import STUCK_AFTER, attention
from shopcore.admin.base import blueprint, db_session, settings
from shopcore.admin.charts import Line, line_chart
from shopcore.admin.forms import Form
from shopcore.admin.periods import Period, grain_of, read_period
from shopcore.admin.result_queries import trigger_count
from shopcore.dashboard_snapshot import (
    PRESETS,
    RETENTION_DAYS,
    compute_figures,
    stored_figures,
)
from shopcore.db import utcnow
from shopcore.enums import Channel, Role
from shopcore.sales_queries import Sales

DEFAULT_DAYS = 90
LABEL_FORMATS = {"day": "%d %b", "week": "%d %b", "month": "%b %Y"}


@blueprint.get("/")
@requires(Role.VIEWER)
def overview() -> tuple[str, int]:
    """The store at a glance: sales by channel over time, attention needed, retention."""
    form = Form(request.args)
    zone = settings().zone
    now = utcnow()
    period = read_period(form, zone, now.astimezone(zone).date(), default_days=DEFAULT_DAYS)
    db = db_session()
    preset = _preset(form)
    if preset is None:
        found = compute_figures(db, settings(), period, now=now)
    else:
        found = stored_figures(db, settings(), period, preset)
    figures = found.sales
    html = render_template(
        "overview.html",
        form=form,
        period=period,
        presets=PRESETS,
        grain=grain_of(period),
        activity=found.activity,
        live=preset is None,
        as_of=found.computed_at.astimezone(zone).strftime("%H:%M"),
        charts=_charts(figures, period),
        sales=figures,
        labels=_labels(figures, period),
        attention=attention(db, now),
        stuck_after=STUCK_AFTER,
        retention=found.retention,
        retention_days=RETENTION_DAYS,
        triggers=trigger_count(db),
    )
    return html, 200 if form.ok else 422


def _preset(form: Form) -> int | None:
    """The preset number of days the form asks for, or None for a custom (or invalid) range."""
    if not form.ok or form.raw.get("from") or form.raw.get("to"):
        return None
    days = form.raw.get("days") or str(DEFAULT_DAYS)
    return int(days) if days.isdigit() and int(days) in PRESETS else None


def _labels(figures: Sales, period: Period) -> list[str]:
    shape = LABEL_FORMATS[grain_of(period)]
    return [b.first.strftime(shape) for b in figures.buckets]


def _charts(figures: Sales, period: Period) -> dict[str, Markup]:
    labels = _labels(figures, period)
    per = grain_of(period)
    return {
        "revenue": line_chart(
            labels,
            [Line(c.value, c.value, figures.revenue[c]) for c in Channel],
            title=f"Revenue by channel per {per}",
            money=True,
        ),
        "orders": line_chart(
            labels,
            [Line(c.value, c.value, figures.orders[c]) for c in Channel],
            title=f"Orders by channel per {per}",
        ),
    }
