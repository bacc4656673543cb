"""The dashboard: sales by channel over a period, what needs attention, retention at a glance."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request
from markupsafe import Markup

from retention.results import overall_funnel
from shopcore.admin.access import requires
from shopcore.admin.attention_queries import STUCK_AFTER, attention
from shopcore.admin.base import blueprint, db_session, settings
from shopcore.admin.charts import Line, line_chart
from shopcore.admin.dashboard_queries import Sales, activity, prefer_bulk_plans, sales
from shopcore.admin.forms import Form
from shopcore.admin.periods import Period, buckets, grain_of, read_period
from shopcore.admin.result_queries import trigger_count
from shopcore.db import utcnow
from shopcore.enums import Channel, Role

DEFAULT_DAYS = 90
RETENTION_DAYS = 30
PRESETS = (30, 90, 365)
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
    prefer_bulk_plans(db)
    figures = sales(db, period, buckets(period, zone))
    recent = overall_funnel(
        db,
        since=now - timedelta(days=RETENTION_DAYS),
        until=now,
        attribution_days=settings().attribution_days,
    )
    html = render_template(
        "overview.html",
        form=form,
        period=period,
        presets=PRESETS,
        grain=grain_of(period),
        activity=activity(db, period),
        charts=_charts(figures, period),
        sales=figures,
        labels=_labels(figures, period),
        attention=attention(db, now),
        stuck_after=STUCK_AFTER,
        retention=recent,
        retention_days=RETENTION_DAYS,
        triggers=trigger_count(db),
    )
    return html, 200 if form.ok else 422


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
