"""The segments pages on hand-set scores: the R x F grid, sizes and spend, the weekly trend
rebuilt from segment moves, a segment's members and its CSV export."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from retention.rfm import Segment
from retention.segment_snapshot import save_segment_snapshot
from shopcore.db import Database, utcnow
from shopcore.enums import Role
from shopcore.models import Customer, SegmentMove
from tests.factories import random_email
from tests.integration.admin_support import signed_in, text
from tests.integration.page_figures import cells, figures, within


def customer(
    session: Session,
    scores: tuple[int, int, int] | None,
    segment: Segment | None,
    spent: str = "0",
) -> Customer:
    r, f, m = scores or (None, None, None)
    found = Customer(
        email=random_email(),
        first_name="Ann",
        rfm_r=r,
        rfm_f=f,
        rfm_m=m,
        segment=segment.value if segment else None,
        total_spent=Decimal(spent),
        orders_count=1 if scores else 0,
    )
    session.add(found)
    session.flush()
    return found


def week_starts(now: datetime) -> list[datetime]:
    """The twelve Mondays the page starts its weeks on (the shop keeps UTC)."""
    monday = now.date() - timedelta(days=now.weekday())
    return [datetime.combine(monday - timedelta(weeks=n), time(0), UTC) for n in range(11, -1, -1)]


def email(found: Customer) -> str:
    assert found.email is not None
    return found.email


def build_segments(db: Database) -> dict[str, Customer]:
    """Two champions, one of them loyal until a moment ago; a hibernating customer; a
    prospect; and one the RFM pass has not seen yet. Snapshotted as an RFM pass ends."""
    now = utcnow()
    weeks = week_starts(now)
    with db.session() as session:
        made = {
            "ann": customer(session, (5, 5, 5), Segment.CHAMPIONS, "500.00"),
            "bob": customer(session, (5, 4, 4), Segment.CHAMPIONS, "300.00"),
            "cat": customer(session, (2, 1, 1), Segment.HIBERNATING, "20.00"),
            "dan": customer(session, None, Segment.PROSPECTS),
            "eve": customer(session, None, None),
        }

        def move(who: str, source: Segment | None, target: Segment, moved_at: datetime) -> None:
            session.add(
                SegmentMove(
                    customer_id=made[who].id,
                    from_segment=source.value if source else None,
                    to_segment=target.value,
                    moved_at=moved_at,
                )
            )

        move("cat", None, Segment.HIBERNATING, weeks[0] - timedelta(days=30))
        move("dan", None, Segment.PROSPECTS, weeks[0] - timedelta(days=30))
        move("ann", None, Segment.LOYAL, weeks[0] + timedelta(hours=1))
        move("bob", None, Segment.CHAMPIONS, weeks[0] + timedelta(hours=2))
        move("ann", Segment.LOYAL, Segment.CHAMPIONS, now - timedelta(seconds=1))
        session.flush()
        save_segment_snapshot(session, now=now, zone=ZoneInfo("UTC"))
        session.commit()
        return made


def test_the_grid_counts_customers_and_spend_per_recency_and_frequency(
    client: FlaskClient, db: Database
) -> None:
    build_segments(db)
    signed_in(client, db, Role.VIEWER)

    response = client.get("/admin/segments")

    assert response.status_code == 200
    page = text(response)

    def cell(rf: str) -> dict[str, str]:
        return figures(within(page, "data-cell", rf, tag="td"))

    assert cell("55") == {"customers": "1", "revenue": "500.00"}
    assert cell("54") == {"customers": "1", "revenue": "300.00"}
    assert cell("21") == {"customers": "1", "revenue": "20.00"}
    assert cell("33") == {"customers": "0", "revenue": "0.00"}
    assert "Champions" in within(page, "data-cell", "55", tag="td")
    assert "3 customers scored; 2 without scores" in page


def test_each_segment_s_size_spend_and_weekly_trend_from_its_moves(
    client: FlaskClient, db: Database
) -> None:
    build_segments(db)
    signed_in(client, db, Role.VIEWER)

    page = text(client.get("/admin/segments"))

    sizes = within(page, "data-segment", "champions")
    assert figures(sizes) == {"customers": "2", "revenue": "800.00", "then": "0"}
    assert "50.0%" in sizes  # of the four with a segment, the prospect included
    trend = page.split('data-table="trend"')[1]

    def weekly(segment: Segment) -> list[str]:
        return cells(within(trend, "data-segment", segment.value))[1:]

    # Twelve week starts, then now: Bob joined in the first week, Ann a second ago.
    assert weekly(Segment.CHAMPIONS) == ["0"] + ["1"] * 11 + ["2"]
    assert weekly(Segment.LOYAL) == ["0"] + ["1"] * 11 + ["0"]
    assert weekly(Segment.HIBERNATING) == ["1"] * 13
    assert weekly(Segment.PROSPECTS) == ["1"] * 13
    assert weekly(Segment.AT_RISK) == ["0"] * 13
    assert page.count('<svg class="spark"') == len(Segment)


def test_a_segment_lists_its_customers_and_exports_them_as_csv(
    client: FlaskClient, db: Database
) -> None:
    made = build_segments(db)
    signed_in(client, db, Role.VIEWER)

    page = text(client.get("/admin/segments/champions"))
    assert email(made["ann"]) in page and email(made["bob"]) in page
    assert email(made["cat"]) not in page
    assert 'href="/admin/segments/champions/export.csv"' in page

    response = client.get("/admin/segments/champions/export.csv")

    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert text(response).splitlines() == [
        "email,r,f,m,segment",
        f"{made['ann'].email},5,5,5,champions",
        f"{made['bob'].email},5,4,4,champions",
    ]
    prospects = text(client.get("/admin/segments/prospects/export.csv")).splitlines()
    assert prospects == ["email,r,f,m,segment", f"{made['dan'].email},,,,prospects"]


def test_a_segment_s_members_are_paged_by_id(client: FlaskClient, db: Database) -> None:
    with db.session() as session:
        emails = [email(customer(session, (1, 1, 1), Segment.HIBERNATING)) for _ in range(52)]
        session.commit()
    signed_in(client, db, Role.VIEWER)

    first = text(client.get("/admin/segments/hibernating"))
    assert all(email in first for email in emails[:50]) and emails[50] not in first
    after = first.split('href="/admin/segments/hibernating?after=')[1].split('"')[0]
    second = text(client.get(f"/admin/segments/hibernating?after={after}"))
    assert emails[50] in second and emails[51] in second and emails[0] not in second


def test_an_unknown_segment_is_not_found(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, Role.VIEWER)

    assert client.get("/admin/segments/whales").status_code == 404
    assert client.get("/admin/segments/whales/export.csv").status_code == 404
