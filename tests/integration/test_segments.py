"""The RFM pass in the database: quintiles, the frequency tie rule, prospects, moves."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select, update

from retention.rfm import Segment, Thresholds, score_at_least, score_recency
from retention.segments import RfmSummary, find_moves, recompute_rfm
from shopcore.cli import main
from shopcore.db import Database
from shopcore.enums import OrderStatus, Platform
from shopcore.models import Customer, Order, SegmentMove
from shopcore.orders import get_or_create_source, record_order, refresh_customer_totals
from tests.factories import random_email
from tests.integration.test_orders import canonical

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def add_customers(db: Database, *rows: tuple[int, str, int], now: datetime = NOW) -> list[int]:
    """Customers with (orders, spend, days since last order) aggregates, as intake keeps them."""
    with db.session() as session:
        customers = [
            Customer(
                email=random_email(),
                orders_count=orders,
                total_spent=Decimal(spend),
                first_order_at=now - timedelta(days=days + 400) if orders else None,
                last_order_at=now - timedelta(days=days) if orders else None,
            )
            for orders, spend, days in rows
        ]
        session.add_all(customers)
        session.commit()
        return [c.id for c in customers]


def scores(db: Database, ids: list[int]) -> list[tuple[int | None, ...]]:
    with db.session() as session:
        by_id = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}
        return [(by_id[i].rfm_r, by_id[i].rfm_f, by_id[i].rfm_m) for i in ids]


def segments(db: Database, ids: list[int]) -> list[str | None]:
    with db.session() as session:
        by_id = {i: seg for i, seg in session.execute(select(Customer.id, Customer.segment))}
        return [by_id[i] for i in ids]


def recompute(db: Database, **kwargs: object) -> RfmSummary:
    with db.session() as session:
        return recompute_rfm(session, now=NOW, **kwargs)  # type: ignore[arg-type]


def test_recency_and_spend_are_quintiles_with_the_most_recent_scoring_five(db: Database) -> None:
    # Ten customers, each more recent and bigger-spending than the one before.
    ids = add_customers(db, *((1, str(10 * (i + 1)), 100 - i) for i in range(10)))

    recompute(db)

    assert [r for r, _, _ in scores(db, ids)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [m for _, _, m in scores(db, ids)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_equal_order_counts_always_get_the_same_frequency_score(db: Database) -> None:
    counts = [1, 1, 1, 1, 1, 1, 2, 2, 3, 7]
    ids = add_customers(db, *((n, "10", 5) for n in counts))

    recompute(db)

    # F is the quintile where a group of equal counts starts: 2 orders start at the 7th of 10.
    assert [f for _, f, _ in scores(db, ids)] == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]


def test_a_tie_group_spanning_every_quintile_scores_one_for_all(db: Database) -> None:
    ids = add_customers(db, *((3, "10", d) for d in range(7)))

    recompute(db)

    assert {f for _, f, _ in scores(db, ids)} == {1}


def test_segments_come_from_the_recency_by_frequency_grid(db: Database) -> None:
    champion, sleeper = add_customers(db, (9, "900", 1), (1, "5", 300))
    add_customers(db, *((2, "50", 50) for _ in range(3)))

    recompute(db)

    assert segments(db, [champion, sleeper]) == [Segment.CHAMPIONS, Segment.HIBERNATING]


def test_customers_without_orders_are_prospects_without_scores(db: Database) -> None:
    prospect, buyer = add_customers(db, (0, "0", 0), (1, "10", 3))

    summary = recompute(db)

    assert scores(db, [prospect]) == [(None, None, None)]
    assert segments(db, [prospect]) == [Segment.PROSPECTS]
    assert None not in scores(db, [buyer])[0]
    assert (summary.scored, summary.prospects) == (1, 1)


def test_test_and_cancelled_orders_do_not_make_a_customer(db: Database) -> None:
    cancelled_email, test_email = random_email(), random_email()
    with db.session() as session:
        source = get_or_create_source(session, "import", Platform.CSV)
        cancelled = canonical(customer={"email": cancelled_email})
        record_order(session, cancelled, source=source, region="DE")
        session.flush()
        record_order(session, cancelled, source=source, region="DE", status=OrderStatus.CANCELLED)
        tested = record_order(
            session, canonical(customer={"email": test_email}), source=source, region="DE"
        ).order
        session.execute(update(Order).where(Order.id == tested.id).values(is_test=True))
        refresh_customer_totals(session, [tested.customer_id or 0])
        session.commit()
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))

    recompute(db)

    assert segments(db, ids) == [Segment.PROSPECTS, Segment.PROSPECTS]


def test_a_recompute_on_unchanged_data_writes_nothing(db: Database) -> None:
    add_customers(db, *((1 + i % 4, str(7 * i), i * 11) for i in range(40)), (0, "0", 0))
    first = recompute(db)
    before = scores(db, list(range(1, 42)))

    second = recompute(db)

    assert first.changed == 41 and first.moves == 41
    assert (second.changed, second.moves) == (0, 0)
    assert scores(db, list(range(1, 42))) == before


def test_segment_moves_are_kept_with_the_segment_left_behind(db: Database) -> None:
    mover, *_ = add_customers(db, (5, "500", 2), *((1, "10", 200) for _ in range(4)))
    recompute(db)
    with db.session() as session:
        session.execute(
            update(Customer)
            .where(Customer.id == mover)
            .values(last_order_at=NOW - timedelta(days=900))
        )
        session.commit()
    later = NOW + timedelta(days=7)

    with db.session() as session:
        summary = recompute_rfm(session, now=later)
        history = session.execute(
            select(SegmentMove.from_segment, SegmentMove.to_segment, SegmentMove.moved_at)
            .where(SegmentMove.customer_id == mover)
            .order_by(SegmentMove.id)
        ).all()

    assert summary.moves >= 1
    assert [tuple(row) for row in history] == [
        (None, Segment.CHAMPIONS, NOW),
        (Segment.CHAMPIONS, Segment.CANT_LOSE_THEM, later),
    ]


def test_moves_can_be_found_by_the_segments_left_and_entered(db: Database) -> None:
    mover, *_ = add_customers(db, (5, "500", 2), *((1, "10", 200) for _ in range(4)))
    recompute(db)
    with db.session() as session:
        session.execute(
            update(Customer)
            .where(Customer.id == mover)
            .values(last_order_at=NOW - timedelta(days=900))
        )
        session.commit()
    later = NOW + timedelta(days=7)
    with db.session() as session:
        recompute_rfm(session, now=later)

        this_week = find_moves(
            session,
            since=later - timedelta(days=7),
            from_segment=Segment.CHAMPIONS,
            to_segment=Segment.CANT_LOSE_THEM,
        )
        lately = find_moves(session, since=later)

    assert [m.customer_id for m in this_week] == [mover]
    assert mover in {m.customer_id for m in lately}
    assert {m.moved_at for m in lately} == {later}


def test_threshold_mode_scores_by_absolute_cut_points(db: Database) -> None:
    thresholds = Thresholds(
        recency_days=(30, 90, 180, 365),
        orders=(2, 3, 5, 10),
        spend=tuple(Decimal(s) for s in ("50", "150", "400", "1000")),
    )
    rows = [(1, "49.99", 400), (2, "50", 365), (5, "400", 31), (10, "1000", 30), (4, "200", 90)]
    ids = add_customers(db, *rows)

    recompute(db, mode="thresholds", thresholds=thresholds)

    expected = [
        (
            score_recency(NOW - timedelta(days=days), NOW, thresholds.recency_days),
            score_at_least(orders, thresholds.orders),
            score_at_least(Decimal(spend), thresholds.spend),
        )
        for orders, spend, days in rows
    ]
    assert scores(db, ids) == expected
    assert expected[0] == (1, 1, 1) and expected[3] == (5, 5, 5)


def test_the_rfm_command_recomputes_and_exports_email_and_scores(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPCORE_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    add_customers(db, (3, "120", 4), (0, "0", 0))
    with db.session() as session:
        emails = list(session.scalars(select(Customer.email).order_by(Customer.id)))
    out = tmp_path / "rfm.csv"

    result = CliRunner().invoke(main, ["rfm", "--export", str(out)], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "scored 1 customers, 1 prospects" in result.output
    assert "exported 2 customers" in result.output
    with out.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["email", "r", "f", "m", "segment"],
        [emails[0], "1", "1", "1", "hibernating"],
        [emails[1], "", "", "", "prospects"],
    ]


def test_the_rfm_command_follows_the_threshold_setting(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPCORE_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHOPCORE_RFM_MODE", "thresholds")
    monkeypatch.setenv("SHOPCORE_RFM_ORDERS", "2,3,4,5")
    (customer,) = add_customers(db, (3, "120", 1), now=datetime.now(UTC))

    result = CliRunner().invoke(main, ["rfm"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert scores(db, [customer]) == [(5, 3, 2)]


def test_the_customer_view_shows_the_scores_and_segment(
    db: Database, client: FlaskClient, auth: dict[str, str]
) -> None:
    buyer, prospect = add_customers(db, (9, "900", 1), (0, "0", 0))
    unscored = client.get(f"/api/v1/customers/{buyer}", headers=auth).get_json()
    recompute(db)

    scored = client.get(f"/api/v1/customers/{buyer}", headers=auth).get_json()
    never = client.get(f"/api/v1/customers/{prospect}", headers=auth).get_json()

    assert unscored["rfm"] == {"r": None, "f": None, "m": None, "segment": None}
    assert scored["rfm"] == {"r": 1, "f": 1, "m": 1, "segment": "hibernating"}
    assert never["rfm"] == {"r": None, "f": None, "m": None, "segment": "prospects"}
