"""The dashboard on a small hand-built store: sales per channel and period, the customer
base, SKUs per order, repeat buyers, orders needing attention and retention at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from retention.models import Message
from retention.vocabulary import MessageStatus, TriggerKind
from shopcore import sales_queries
from shopcore.db import Database, utcnow
from shopcore.enums import Channel, DeliveryStatus, LineStatus, OrderStatus, Platform, Role
from shopcore.models import Customer, Order, OrderLine, WebhookDelivery
from shopcore.orders import get_or_create_source, refresh_customer_totals
from tests.factories import random_email, random_ref
from tests.integration.admin_support import signed_in, text
from tests.integration.page_figures import cells, figures, within
from tests.retention_factories import add_enrollment, add_template_version, add_trigger

# Two weeks of November 2026, Sunday 1st to Saturday 14th; the shop keeps UTC.
PERIOD = {"from": "2026-11-01", "to": "2026-11-14"}


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@dataclass
class Shop:
    session: Session

    def customer(self) -> Customer:
        customer = Customer(email=random_email(), first_name="Ann")
        self.session.add(customer)
        self.session.flush()
        return customer

    def order(
        self,
        customer: Customer | None,
        channel: Channel,
        placed_at: datetime,
        skus: list[str],
        total: str,
        *,
        status: OrderStatus = OrderStatus.SHIPPED,
        is_test: bool = False,
        updated_at: datetime | None = None,
    ) -> Order:
        source = get_or_create_source(self.session, "import", Platform.CSV)
        order = Order(
            source_id=source.id,
            channel=channel,
            external_id=random_ref("A-"),
            customer_id=customer.id if customer else None,
            status=status,
            placed_at=placed_at,
            currency="EUR",
            subtotal=Decimal(total),
            total=Decimal(total),
            is_test=is_test,
            updated_at=updated_at or placed_at,
            lines=[
                OrderLine(
                    sku=sku,
                    quantity=1,
                    unit_price=Decimal(1),
                    total=Decimal(1),
                    status=LineStatus.HISTORY,
                )
                for sku in skus
            ],
        )
        self.session.add(order)
        self.session.flush()
        return order


def build_store(db: Database) -> dict[str, str]:
    """Ann bought before; Bob twice, online and in the shop; Cat once, wholesale; Dan only
    long ago; Eve never. Plus an anonymous shop sale, and orders that do not count."""
    with db.session() as session:
        shop = Shop(session)
        ann, bob, cat, dan, eve = (shop.customer() for _ in range(5))
        shop.order(ann, Channel.ONLINE, at(3), ["TEA", "MUG", "TEA"], "30.00")
        shop.order(ann, Channel.ONLINE, datetime(2026, 9, 1, tzinfo=UTC), ["TEA"], "10.00")
        shop.order(bob, Channel.RETAIL, at(4), ["TEA"], "20.00")
        shop.order(bob, Channel.ONLINE, at(10), ["TEA", "MUG", "POT"], "50.00")
        shop.order(cat, Channel.WHOLESALE, at(12), ["MUG"], "100.00")
        shop.order(None, Channel.RETAIL, at(14, 18), ["POT"], "5.00")
        shop.order(dan, Channel.ONLINE, datetime(2026, 8, 1, tzinfo=UTC), ["TEA"], "15.00")
        # Not counted: cancelled, a test, and one just after the period ends.
        shop.order(cat, Channel.ONLINE, at(5), ["TEA"], "999.00", status=OrderStatus.CANCELLED)
        shop.order(eve, Channel.ONLINE, at(6), ["TEA"], "500.00", is_test=True)
        shop.order(cat, Channel.ONLINE, at(15, 0), ["TEA"], "77.00")
        refresh_customer_totals(session, [c.id for c in (ann, bob, cat, dan, eve)])
        session.commit()
        return {"ann": str(ann.id), "eve": str(eve.id)}


def test_the_period_s_sales_per_channel_customers_skus_and_repeat_buyers(
    client: FlaskClient, db: Database
) -> None:
    build_store(db)
    signed_in(client, db, Role.VIEWER)

    response = client.get("/admin/", query_string=PERIOD)

    assert response.status_code == 200
    page = text(response)
    top = figures(page.split("<h2>Orders by channel</h2>")[0])
    assert top["revenue"] == "205.00"
    assert top["orders"] == "5"
    assert top["customers"] == "3"
    assert top["active-share"] == "75.0%"  # of Ann, Bob, Cat and Dan
    assert top["repeat-rate"] == "66.7%"  # Ann (ordered before) and Bob (twice)
    assert top["skus-per-order"] == "1.60"  # (2 + 1 + 3 + 1 + 1) / 5
    assert top["multi-channel"] == "1"  # Bob
    channels = {c.value: cells(within(page, "data-channel", c.value)) for c in Channel}
    assert channels["online"] == ["online", "2", "80.00", "2", "50.0%", "2.50"]
    assert channels["retail"] == ["retail", "2", "25.00", "1", "25.0%", "1.00"]
    assert channels["wholesale"] == ["wholesale", "1", "100.00", "1", "25.0%", "1.00"]


def test_sales_are_drawn_per_day_as_inline_svg_and_listed_per_day(
    client: FlaskClient, db: Database
) -> None:
    build_store(db)
    signed_in(client, db, Role.VIEWER)

    page = text(client.get("/admin/", query_string=PERIOD))

    assert page.count('<svg class="chart"') == 2
    assert "Revenue by channel per day" in page and "Orders by channel per day" in page
    assert "online, 03 Nov: 30.00" in page  # a point's own title
    assert "wholesale, 12 Nov: 1" in page
    assert "style=" not in page  # the CSP allows no inline styles
    rows = {r[0]: r[1:] for r in _rows(page, "<summary>The figures per day</summary>")}
    assert len(rows) == 14
    # online orders, online revenue, retail orders, retail revenue, wholesale ...
    assert rows["2026-11-04"] == ["0", "0.00", "1", "20.00", "0", "0.00"]
    assert rows["2026-11-10"] == ["1", "50.00", "0", "0.00", "0", "0.00"]
    assert rows["2026-11-14"] == ["0", "0.00", "1", "5.00", "0", "0.00"]


def test_a_longer_period_is_shown_per_week_from_monday(client: FlaskClient, db: Database) -> None:
    build_store(db)
    signed_in(client, db, Role.VIEWER)

    page = text(client.get("/admin/", query_string={"from": "2026-10-01", "to": "2026-11-30"}))

    rows = {r[0]: r[1:] for r in _rows(page, "<summary>The figures per week</summary>")}
    # Thursday 1 October, then every Monday.
    assert list(rows)[:3] == ["2026-10-01", "2026-10-05", "2026-10-12"]
    assert rows["2026-11-02"] == ["1", "30.00", "1", "20.00", "0", "0.00"]
    # Sunday 15 November 00:00 still belongs to the week of Monday the 9th.
    assert rows["2026-11-09"] == ["2", "127.00", "1", "5.00", "1", "100.00"]
    assert rows["2026-11-16"] == ["0", "0.00", "0", "0.00", "0", "0.00"]
    assert rows["2026-11-30"] == ["0", "0.00", "0", "0.00", "0", "0.00"]
    assert figures(page)["revenue"] == "282.00"  # the 77.00 of 15 November joins in


def test_a_period_ending_before_it_starts_is_refused_with_the_field_s_error(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, Role.VIEWER)

    response = client.get("/admin/", query_string={"from": "2026-11-10", "to": "2026-11-01"})

    assert response.status_code == 422
    assert "The end comes before the start." in text(response)


def test_orders_awaiting_stock_stuck_orders_and_rejected_webhooks_need_attention(
    client: FlaskClient, db: Database
) -> None:
    now = utcnow()
    with db.session() as session:
        shop = Shop(session)
        ann = shop.customer()
        long_ago = now - timedelta(days=30)
        waiting = shop.order(
            ann, Channel.ONLINE, long_ago, ["TEA"], "9.00", status=OrderStatus.AWAITING_STOCK
        )
        stuck = shop.order(
            ann,
            Channel.ONLINE,
            long_ago,
            ["TEA"],
            "9.00",
            status=OrderStatus.ALLOCATED,
            updated_at=now - timedelta(days=4),
        )
        fresh = shop.order(
            ann,
            Channel.ONLINE,
            long_ago,
            ["TEA"],
            "9.00",
            status=OrderStatus.ALLOCATED,
            updated_at=now - timedelta(days=2),
        )
        source = get_or_create_source(session, "import", Platform.CSV)
        for status, error in (
            (DeliveryStatus.REJECTED, "no lines"),
            (DeliveryStatus.ACCEPTED, None),
        ):
            session.add(
                WebhookDelivery(
                    source_id=source.id,
                    delivery_key=random_ref(),
                    topic="orders/create",
                    status=status,
                    error=error,
                    body=b"{}",
                )
            )
        session.commit()
        refs = {o: o.external_id for o in (waiting, stuck, fresh)}
    signed_in(client, db, Role.VIEWER)

    page = text(client.get("/admin/"))

    found = figures(page)
    assert found["awaiting-stock"] == "1"
    assert found["stuck-allocated"] == "1"
    assert "stuck-pending" not in found
    assert found["rejected-deliveries"] == "1"
    attention = page.split("<h2>Needs attention</h2>")[1].split("<h2>Retention")[0]
    assert refs[waiting] in attention and refs[stuck] in attention
    assert refs[fresh] not in attention
    assert f'href="/admin/orders/{waiting.id}"' in attention
    assert "no lines" in attention
    assert 'href="/admin/orders?status=awaiting_stock"' in attention


def test_retention_of_the_last_30_days_in_short_with_a_link_to_the_results(
    client: FlaskClient, db: Database
) -> None:
    now = utcnow()
    with db.session() as session:
        shop = Shop(session)
        ann = shop.customer()
        trigger = add_trigger(session, kind=TriggerKind.CROSS_SELL)
        clicked = now - timedelta(days=2)
        for sent, click in (
            (clicked - timedelta(hours=1), clicked),
            (now - timedelta(hours=5), None),
        ):
            enrollment = add_enrollment(session, trigger, ann)
            session.add(
                Message(
                    enrollment_id=enrollment.id,
                    position=0,
                    trigger_id=trigger.id,
                    customer_id=ann.id,
                    template_version_id=add_template_version(session).id,
                    kind=TriggerKind.CROSS_SELL,
                    to_email=ann.email or "",
                    subject="Hi",
                    token=random_ref(),
                    status=MessageStatus.SENT,
                    sent_at=sent,
                    opened_at=click,
                    clicked_at=click,
                )
            )
        shop.order(ann, Channel.ONLINE, now - timedelta(days=1), ["TEA"], "40.00")
        session.commit()
    signed_in(client, db, Role.VIEWER)

    page = text(client.get("/admin/"))

    found = figures(page)
    assert (found["retention-sent"], found["retention-clicked"]) == ("2", "1")
    assert found["retention-revenue"] == "40.00"
    assert 'href="/admin/results"' in page


def _rows(page: str, after: str) -> list[list[str]]:
    table = page.split(after)[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [cells(row) for row in body.split("</tr>") if "<td" in row]


def test_past_the_sample_size_skus_per_order_come_from_the_latest_orders(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_store(db)
    monkeypatch.setattr(sales_queries, "SKU_SAMPLE", 2)
    signed_in(client, db, Role.VIEWER)

    page = text(client.get("/admin/", query_string=PERIOD))

    # The latest two: the shop sale of the 14th (1 SKU) and Cat's of the 12th (1 SKU).
    assert figures(page)["skus-per-order"] == "1.00"
    assert "of the latest 2 orders" in page
    assert figures(page)["orders"] == "5"
