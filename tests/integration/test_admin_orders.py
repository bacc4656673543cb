"""The admin's order pages: filtering and paging the list, one order's story, cancel and ship."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.models import StockLevel
from shopcore.db import Database
from shopcore.enums import OrderStatus, Role
from shopcore.models import Order, Source
from tests.integration.admin_support import (
    csrf_of,
    place_order,
    post_form,
    signed_in,
    text,
    webhook_order,
)
from tests.integration.api_support import T0, Shop

Auth = dict[str, str]


def external_id(db: Database, order_id: int) -> str:
    with db.session() as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order.external_id


def status_of(db: Database, order_id: int) -> OrderStatus:
    with db.session() as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order.status


def listed(client: FlaskClient, **query: str) -> str:
    response = client.get("/admin/orders", query_string=query)
    assert response.status_code == 200, text(response)
    return text(response)


def test_the_order_list_filters_by_channel_status_source_dates_and_email(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    ann = place_order(client, auth, [(shop.tea, 1)])
    bob = place_order(
        client,
        auth,
        [(shop.tea, 1)],
        channel="wholesale",
        placed_at=(T0 + timedelta(days=5)).isoformat(),
        customer={"email": "bob@example.com", "last_name": "Bauer"},
    )
    hooked = webhook_order(
        client, db, [(shop.mug, 1)], placed_at=(T0 - timedelta(days=3)).isoformat()
    )
    with db.session() as session:
        hook_source = session.scalar(
            select(Source.name).join(Order, Order.source_id == Source.id).where(Order.id == hooked)
        )
    assert hook_source is not None
    ids = {name: external_id(db, i) for name, i in (("ann", ann), ("bob", bob), ("hook", hooked))}
    signed_in(client, db, Role.VIEWER)

    def only(page: str, *names: str) -> None:
        assert {n for n, ref in ids.items() if ref in page} == set(names)

    only(listed(client), "ann", "bob", "hook")
    only(listed(client, channel="wholesale"), "bob")
    only(listed(client, status="allocated", channel="online"), "ann", "hook")
    only(listed(client, source=hook_source), "hook")
    only(listed(client, email=" Bob@Example.com "), "bob")
    only(listed(client, email="nobody@example.com"))
    day = T0.date()
    only(listed(client, **{"from": str(day), "to": str(day)}), "ann")
    only(listed(client, **{"from": str(day + timedelta(days=1))}), "bob")
    only(listed(client, to=str(day - timedelta(days=1))), "hook")


def test_an_unreadable_filter_is_reported_next_to_its_field(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, Role.VIEWER)
    response = client.get(
        "/admin/orders",
        query_string={
            "email": "ann at example",
            "from": "2026-12-09",
            "to": "2026-12-01",
            "channel": "fax",
            "source": "nowhere",
        },
    )
    assert response.status_code == 422
    page = text(response)
    for field, message in (
        ("email", "Not an email address."),
        ("to", "The end comes before the start."),
        ("channel", "Choose one of online, retail, wholesale."),
        ("source", "No source has that name."),
    ):
        assert re.search(rf'id="e-{field}">{re.escape(message)}<', page), field
    assert 'value="ann at example"' in page
    assert "Correct the filter above." in page


def test_the_order_list_pages_newest_first_and_back(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shopcore.admin.orders.PAGE_SIZE", 2)
    refs = [external_id(db, place_order(client, auth, [(shop.tea, 1)])) for _ in range(5)]
    signed_in(client, db, Role.VIEWER)
    seen: list[list[str]] = []
    path = "/admin/orders?channel=online"
    while True:
        page = client.get(path).get_data(as_text=True)
        seen.append([ref for ref in reversed(refs) if ref in page])
        older = re.search(r'href="([^"]+)">Older', page)
        if older is None:
            break
        path = older.group(1).replace("&amp;", "&")
        assert "channel=online" in path
    assert seen == [refs[4:2:-1], refs[2:0:-1], refs[0:1]]
    newer = re.search(r'href="([^"]+)">← Newer', page)
    assert newer is not None
    back = client.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert [ref for ref in reversed(refs) if ref in back] == refs[2:0:-1]


def test_an_order_page_shows_lines_allocations_movements_and_its_webhook(
    client: FlaskClient, db: Database, shop: Shop
) -> None:
    order_id = webhook_order(client, db, [(shop.tea, 2), (shop.mug, 1)])
    signed_in(client, db, Role.VIEWER)
    page = text(client.get(f"/admin/orders/{order_id}"))
    assert external_id(db, order_id) in page
    assert shop.tea in page and shop.mug in page
    # FC-N, first in priority, holds both lines: one parcel.
    allocations = page.split("Allocations per warehouse")[1].split("Stock movements")[0]
    assert re.search(rf"<td>{shop.tea}</td><td>FC-N</td><td class=\"num\">2</td>", allocations)
    assert re.search(rf"<td>{shop.mug}</td><td>FC-N</td><td class=\"num\">1</td>", allocations)
    movements = page.split("Stock movements")[1].split("Webhook deliveries")[0]
    assert movements.count("<td>allocation</td>") == 2
    deliveries = page.split("Webhook deliveries")[1]
    assert "<code>order</code>" in deliveries and "<td>accepted</td>" in deliveries
    assert "Cancel order" not in page and ">Ship<" not in page, "viewers get no buttons"


def test_a_manager_ships_an_allocated_order_and_its_units_leave(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    order_id = place_order(client, auth, [(shop.tea, 2)])
    signed_in(client, db, Role.MANAGER)
    page = text(client.get(f"/admin/orders/{order_id}"))
    assert "Cancel order" in page and ">Ship<" in page
    response = post_form(client, f"/admin/orders/{order_id}/ship")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/orders/{order_id}")
    assert "Order shipped." in text(client.get(response.headers["Location"]))
    assert status_of(db, order_id) == OrderStatus.SHIPPED
    with db.session() as session:
        level = session.scalar(
            select(StockLevel).where(
                StockLevel.product_id == shop.ids[shop.tea],
                StockLevel.warehouse_id == shop.ids["FC-N"],
            )
        )
        assert level is not None and (level.on_hand, level.allocated) == (0, 0)
    refused = post_form(client, f"/admin/orders/{order_id}/cancel")
    assert "Not cancelled: a shipped order cannot be cancelled." in text(
        client.get(refused.headers["Location"])
    )
    assert status_of(db, order_id) == OrderStatus.SHIPPED


def test_a_manager_cancels_an_order_and_its_stock_is_free_again(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    order_id = place_order(client, auth, [(shop.tea, 2)])
    signed_in(client, db, Role.MANAGER)
    response = post_form(client, f"/admin/orders/{order_id}/cancel")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Order cancelled; its stock is free." in page
    assert "Cancel order" not in page and ">Ship<" not in page
    assert status_of(db, order_id) == OrderStatus.CANCELLED
    with db.session() as session:
        allocated = session.scalars(
            select(StockLevel.allocated).where(StockLevel.product_id == shop.ids[shop.tea])
        ).all()
    assert set(allocated) == {0}
    refused = post_form(client, f"/admin/orders/{order_id}/ship")
    assert "Not shipped: only allocated orders ship" in text(
        client.get(refused.headers["Location"])
    )


def test_an_action_on_an_order_that_does_not_exist_is_404(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, Role.MANAGER)
    assert post_form(client, "/admin/orders/424242/cancel").status_code == 404
    assert (
        client.post("/admin/orders/424242/ship", data={"csrf": csrf_of(client)}).status_code == 404
    )
