"""The admin's receipts: a delivery adds units, is a movement, and serves waiting orders."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.models import MovementKind, StockMovement
from shopcore.db import Database
from shopcore.enums import OrderStatus, Role
from tests.integration.admin_support import post_form, signed_in, text, webhook_order
from tests.integration.api_support import Shop
from tests.integration.test_admin_inventory import level, status_of


def test_a_receipt_adds_units_records_a_movement_and_serves_waiting_orders(
    client: FlaskClient, db: Database, shop: Shop
) -> None:
    # Online mugs: FC-N 1, FC-S 0; an online order for 3 waits for stock.
    order_id = webhook_order(client, db, [(shop.mug, 3)])
    assert status_of(db, order_id) == OrderStatus.AWAITING_STOCK
    signed_in(client, db, Role.MANAGER)
    response = post_form(
        client, "/admin/inventory/receive", sku=shop.mug, warehouse="fc-s", quantity="4"
    )
    assert response.status_code == 302
    assert f"Received 4 of {shop.mug} into FC-S." in text(client.get(response.headers["Location"]))
    assert status_of(db, order_id) == OrderStatus.ALLOCATED
    on_hand, _ = level(db, shop, shop.mug, "FC-S")
    assert on_hand == 4
    with db.session() as session:
        kinds = list(session.scalars(select(StockMovement.kind)))
    assert MovementKind.RECEIPT in kinds


def test_a_receipt_reports_each_problem_next_to_its_field(
    client: FlaskClient, db: Database, shop: Shop
) -> None:
    signed_in(client, db, Role.MANAGER)
    response = post_form(
        client, "/admin/inventory/receive", sku="NOPE", warehouse="XX", quantity="0"
    )
    assert response.status_code == 422
    page = text(response)
    assert re.search(r'id="e-sku">No product has this SKU.', page)
    assert re.search(r'id="e-warehouse">No warehouse has this code.', page)
    assert re.search(r'id="e-quantity">Enter a number from 1', page)


def test_a_viewer_cannot_book_a_receipt(client: FlaskClient, db: Database, shop: Shop) -> None:
    signed_in(client, db, Role.VIEWER)
    response = post_form(
        client, "/admin/inventory/receive", sku=shop.mug, warehouse="FC-S", quantity="4"
    )
    assert response.status_code == 403
    assert level(db, shop, shop.mug, "FC-S")[0] == 0
