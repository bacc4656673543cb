"""The admin's inventory pages: stock by SKU, low stock, the ledger, counts and ABC/XYZ."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.models import MovementKind, StockLevel, StockMovement
from shopcore.db import Database
from shopcore.enums import OrderStatus, Role
from shopcore.models import Order
from tests.integration.admin_support import (
    place_order,
    post_form,
    signed_in,
    text,
    webhook_order,
)
from tests.integration.api_support import Shop

Auth = dict[str, str]


def rows_of(page: str, sku: str) -> list[list[str]]:
    """The cells of each table row of ``page`` that mentions ``sku``, tags stripped."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        if sku in row:
            cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
            rows.append([re.sub(r"<[^>]+>", " ", c).split("  ")[0].strip() for c in cells])
    return rows


def level(db: Database, shop: Shop, sku: str, code: str) -> tuple[int, int]:
    with db.session() as session:
        found = session.scalar(
            select(StockLevel).where(
                StockLevel.product_id == shop.ids[sku], StockLevel.warehouse_id == shop.ids[code]
            )
        )
        assert found is not None
        return found.on_hand, found.allocated


def status_of(db: Database, order_id: int) -> OrderStatus:
    with db.session() as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order.status


def test_stock_shows_on_hand_allocated_and_available_per_warehouse(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    place_order(client, auth, [(shop.tea, 1)])
    signed_in(client, db, Role.VIEWER)
    page = text(client.get("/admin/inventory", query_string={"q": shop.tea[:-1].lower()}))
    assert shop.tea in page and shop.mug not in page
    figures = [cells[-5:-1] for cells in rows_of(page, "FC-")]
    assert ["FC-N", "2", "1", "1"] in figures
    assert ["FC-S", "3", "0", "3"] in figures
    assert re.search(
        r'<td>all</td><td class="num">9</td><td class="num">1</td><td class="num">8</td>', page
    )
    assert "Count</a>" not in page, "viewers are not offered counts"
    assert "No product has a SKU starting with" in text(
        client.get("/admin/inventory", query_string={"q": "NO-SUCH-"})
    )


def test_stock_pages_through_skus_in_order(
    client: FlaskClient, db: Database, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shopcore.admin.inventory.PAGE_SIZE", 1)
    signed_in(client, db, Role.VIEWER)
    first = text(client.get("/admin/inventory"))
    low, high = sorted([shop.tea, shop.mug])
    assert low in first and high not in first
    after = re.search(r'href="([^"]+)">Next', first)
    assert after is not None
    second = text(client.get(after.group(1).replace("&amp;", "&")))
    assert high in second and low not in second
    assert "Previous" in second


def test_low_stock_lists_levels_at_or_under_the_threshold(
    client: FlaskClient, db: Database, shop: Shop
) -> None:
    signed_in(client, db, Role.VIEWER)
    page = text(client.get("/admin/inventory/low", query_string={"threshold": "0"}))
    # Mugs: FC-N 1, FC-S 0, STORE 4.
    assert [c[2] for c in rows_of(page, shop.mug)] == ["FC-S"]
    assert shop.tea not in page
    page = text(client.get("/admin/inventory/low", query_string={"threshold": "2"}))
    assert sorted(c[2] for c in rows_of(page, shop.mug)) == ["FC-N", "FC-S"]
    assert [c[2] for c in rows_of(page, shop.tea)] == ["FC-N"]
    bad = client.get("/admin/inventory/low", query_string={"threshold": "lots"})
    assert bad.status_code == 422 and 'id="e-threshold">Enter a whole number.<' in text(bad)


def test_the_ledger_filters_by_sku_warehouse_kind_and_order(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    order_id = place_order(client, auth, [(shop.tea, 2)])
    signed_in(client, db, Role.VIEWER)
    counts = text(client.get("/admin/inventory/movements", query_string={"sku": shop.tea}))
    assert len(rows_of(counts, shop.tea)) == 4  # three counts and the allocation
    assert shop.mug not in counts
    by_order = text(client.get("/admin/inventory/movements", query_string={"order": order_id}))
    assert [c[1:4] for c in rows_of(by_order, shop.tea)] == [["allocation", shop.tea, "FC-N"]]
    one = text(
        client.get(
            "/admin/inventory/movements",
            query_string={"sku": shop.mug, "warehouse": "store", "kind": "count"},
        )
    )
    assert [c[1:5] for c in rows_of(one, shop.mug)] == [["count", shop.mug, "STORE", "+4"]]
    bad = client.get("/admin/inventory/movements", query_string={"sku": "NOPE", "kind": "theft"})
    assert bad.status_code == 422
    assert 'id="e-sku">No product has this SKU.<' in text(bad)
    assert 'id="e-kind">Choose one of receipt' in text(bad)


def test_a_manager_counts_stock_and_the_difference_is_a_movement(
    client: FlaskClient, db: Database, shop: Shop
) -> None:
    signed_in(client, db, Role.MANAGER)
    form = text(
        client.get("/admin/inventory/count", query_string={"sku": shop.tea, "warehouse": "FC-S"})
    )
    assert f'value="{shop.tea}"' in form
    assert re.search(r'<option value="FC-S" selected>', form)
    response = post_form(
        client, "/admin/inventory/count", sku=shop.tea, warehouse="fc-s", on_hand="11"
    )
    assert response.status_code == 302
    assert f"Counted 11 of {shop.tea} in FC-S." in text(client.get(response.headers["Location"]))
    assert level(db, shop, shop.tea, "FC-S") == (11, 0)
    with db.session() as session:
        last = session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
        assert last is not None
        assert (last.kind, last.on_hand_delta) == (MovementKind.COUNT, 8)


def test_a_count_reports_each_problem_next_to_its_field(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    place_order(client, auth, [(shop.tea, 2)])
    signed_in(client, db, Role.MANAGER)
    cases = [
        (
            {"sku": "", "warehouse": "", "on_hand": ""},
            {"sku": "Required.", "warehouse": "Required.", "on_hand": "Required."},
        ),
        (
            {"sku": "NOPE", "warehouse": "XX", "on_hand": "-1"},
            {
                "sku": "No product has this SKU.",
                "warehouse": "No warehouse has this code.",
                "on_hand": "Enter a number from 0",
            },
        ),
        (
            {"sku": shop.tea, "warehouse": "FC-N", "on_hand": "1.5"},
            {"on_hand": "Enter a whole number."},
        ),
        (
            {"sku": shop.tea, "warehouse": "FC-N", "on_hand": "1"},
            {"on_hand": "2 units are allocated to orders: count at least that."},
        ),
    ]
    for fields, errors in cases:
        response = post_form(client, "/admin/inventory/count", **fields)
        assert response.status_code == 422, fields
        page = text(response)
        for field, message in errors.items():
            assert re.search(rf'id="e-{field}">{re.escape(message)}', page), (fields, field)
    assert level(db, shop, shop.tea, "FC-N") == (2, 2)


def test_a_count_gives_the_new_units_to_orders_waiting_for_them(
    client: FlaskClient, db: Database, shop: Shop
) -> None:
    # Online mugs: FC-N 1, FC-S 0; an online order for 3 waits for stock.
    order_id = webhook_order(client, db, [(shop.mug, 3)])
    assert status_of(db, order_id) == OrderStatus.AWAITING_STOCK
    signed_in(client, db, Role.MANAGER)
    response = post_form(
        client, "/admin/inventory/count", sku=shop.mug, warehouse="FC-S", on_hand="5"
    )
    assert response.status_code == 302
    assert status_of(db, order_id) == OrderStatus.ALLOCATED


def test_the_abc_xyz_matrix_places_each_product_in_its_cell(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    now = datetime.now(UTC)
    last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=10, hour=12)
    place_order(client, auth, [(shop.tea, 4)], placed_at=last_month.isoformat())
    place_order(client, auth, [(shop.mug, 1)], placed_at=last_month.isoformat())
    signed_in(client, db, Role.VIEWER)
    page = text(client.get("/admin/inventory/analysis"))
    # Tea earns 18.00 of 22.50 (80%): A; the mug the next 20%: B. One month of twelve: Z.
    assert re.search(r"AZ</span>\s*<span class=\"cell-count\">1 product</span>", page)
    assert re.search(r"BZ</span>\s*<span class=\"cell-count\">1 product</span>", page)
    assert re.search(r"AX</span>\s*<span class=\"cell-count\">0 products</span>", page)
    cell = text(client.get("/admin/inventory/analysis", query_string={"cell": "az"}))
    assert shop.tea in cell.split("AZ products")[1] and shop.mug not in cell.split("AZ products")[1]
    bad = client.get("/admin/inventory/analysis", query_string={"months": "100", "cell": "QQ"})
    assert bad.status_code == 422
    assert 'id="e-months">Enter a number from 2 to 36.<' in text(bad)
