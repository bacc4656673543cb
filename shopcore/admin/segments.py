"""Segments: the RFM grid, each segment's size and trend, its customers and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from flask import Response, abort, render_template
from markupsafe import Markup

from retention.rfm import SCORES, Segment
from retention.segment_snapshot import NAME
from retention.segments import EXPORT_HEADER, export_rows
from shopcore.admin.access import requires
from shopcore.admin.base import PAGE_SIZE, blueprint, database, db_session, settings
from shopcore.admin.charts import sparkline
from shopcore.admin.paging import int_cursor
from shopcore.admin.segment_queries import ORDER, grid_from, segment_members, segment_sizes
from shopcore.db import Database, utcnow
from shopcore.enums import Role
from shopcore.snapshots import read_snapshot


@blueprint.get("/segments")
@requires(Role.VIEWER)
def segments() -> str:
    """The R x F grid, customers and spend per segment, and each one's last weeks."""
    found = read_snapshot(db_session(), NAME)
    if found is None:
        return render_template("segments.html", snapshot=None)
    grid = grid_from(found.payload)
    counts: dict[str, int] = found.payload["counts"]
    moments = [datetime.fromisoformat(m) for m in found.payload["moments"]]
    trend = {s: found.payload["trend"].get(s.value, [0] * len(moments)) for s in ORDER}
    sparks = {segment: _spark(segment, values, moments) for segment, values in trend.items()}
    zone = settings().zone
    return render_template(
        "segments.html",
        snapshot=found,
        as_of=found.computed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        grid=grid,
        rows=sorted(SCORES, reverse=True),
        columns=list(SCORES),
        sizes=segment_sizes(grid, counts),
        trend=trend,
        sparks=sparks,
        labels=[m.astimezone(zone).date().isoformat() for m in moments[:-1]],
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


def _spark(segment: Segment, values: list[int], moments: list[datetime]) -> Markup:
    first = moments[0].astimezone(settings().zone).date()
    title = f"{segment.label}: {values[0]:,} on {first} to {values[-1]:,} now"
    return sparkline(values, css="trend", title=title)
