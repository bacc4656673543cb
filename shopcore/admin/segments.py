"""Segments: the RFM grid, each segment's size and trend, its customers and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

from flask import Response, abort, render_template
from markupsafe import Markup

from retention.rfm import SCORES, Segment
from retention.segments import EXPORT_HEADER, export_rows
from shopcore.admin.access import requires
from shopcore.admin.base import PAGE_SIZE, blueprint, database, db_session, settings
from shopcore.admin.charts import sparkline
from shopcore.admin.forms import day_start
from shopcore.admin.paging import int_cursor
from shopcore.admin.segment_queries import (
    rfm_grid,
    segment_counts,
    segment_members,
    segment_sizes,
    segment_trend,
)
from shopcore.db import Database, utcnow
from shopcore.enums import Role

TREND_WEEKS = 12


@blueprint.get("/segments")
@requires(Role.VIEWER)
def segments() -> str:
    """The R x F grid, customers and spend per segment, and each one's last weeks."""
    db = db_session()
    grid = rfm_grid(db)
    counts = segment_counts(db)
    moments = _week_starts(utcnow())
    trend = segment_trend(db, moments, counts)
    sparks = {segment: _spark(segment, values, moments) for segment, values in trend.items()}
    return render_template(
        "segments.html",
        grid=grid,
        rows=sorted(SCORES, reverse=True),
        columns=list(SCORES),
        sizes=segment_sizes(grid, counts),
        trend=trend,
        sparks=sparks,
        labels=[m.astimezone(settings().zone).date().isoformat() for m in moments[:-1]],
    )


@blueprint.get("/segments/<segment>")
@requires(Role.VIEWER)
def segment_customers(segment: str) -> str:
    """One segment's customers, by id, with their scores."""
    chosen = _segment(segment)
    page = segment_members(db_session(), chosen, int_cursor(), size=PAGE_SIZE)
    return render_template("segment.html", segment=chosen, page=page)


@blueprint.get("/segments/<segment>/export.csv")
@requires(Role.VIEWER)
def segment_export(segment: str) -> Response:
    """The segment's customers as CSV (email, r, f, m, segment), streamed as it is read."""
    chosen = _segment(segment)
    name = f"segment-{chosen.value}-{utcnow():%Y-%m-%d}.csv"
    return Response(
        _csv(database(), chosen),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _csv(db: Database, segment: Segment) -> Iterator[str]:
    """CSV text a batch of rows at a time, read in a session of its own."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    yield _take(buffer)
    with db.session() as session:
        for rows in export_rows(session, segment=segment):
            writer.writerows(rows)
            yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _segment(name: str) -> Segment:
    try:
        return Segment(name)
    except ValueError:
        abort(404)


def _week_starts(now: datetime) -> list[datetime]:
    """The starts (local Monday midnight) of the last ``TREND_WEEKS`` weeks, then ``now``."""
    zone = settings().zone
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
    return [*(day_start(week, zone) for week in weeks), now]


def _spark(segment: Segment, values: list[int], moments: list[datetime]) -> Markup:
    first = moments[0].astimezone(settings().zone).date()
    title = f"{segment.label}: {values[0]:,} on {first} to {values[-1]:,} now"
    return sparkline(values, css="trend", title=title)
