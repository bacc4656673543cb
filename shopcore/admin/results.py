"""Results: each trigger's funnel, attributed and incremental revenue, and the NPS report."""

from __future__ import annotations

from flask import render_template, request

from retention.results import nps_report
from shopcore.admin.access import requires
from shopcore.admin.base import blueprint, db_session, settings
from shopcore.admin.forms import Form
from shopcore.admin.periods import read_period
from shopcore.admin.result_queries import trigger_rows
from shopcore.db import utcnow
from shopcore.enums import Role
from shopcore.sales_queries import prefer_bulk_plans

DEFAULT_DAYS = 30
PRESETS = (7, 30, 90)


@blueprint.get("/results")
@requires(Role.VIEWER)
def results() -> tuple[str, int]:
    """Per trigger: sent, delivered, opened, clicked, ordered, revenue, against the holdout."""
    form = Form(request.args)
    zone = settings().zone
    today = utcnow().astimezone(zone).date()
    period = read_period(form, zone, today, default_days=DEFAULT_DAYS)
    db = db_session()
    prefer_bulk_plans(db)
    window = {"since": period.since, "until": period.until}
    html = render_template(
        "results.html",
        form=form,
        period=period,
        presets=PRESETS,
        rows=trigger_rows(db, **window, attribution_days=settings().attribution_days),
        nps=nps_report(db, **window),
        attribution_days=settings().attribution_days,
    )
    return html, 200 if form.ok else 422
