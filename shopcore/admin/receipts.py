"""Stock receipts: a delivery booked into a warehouse, serving waiting orders first."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from inventory.warehouses import list_warehouses
from shopcore.admin.access import current_user, requires
from shopcore.admin.base import blueprint, db_session, run
from shopcore.admin.forms import Form
from shopcore.admin.stock_queries import product_id, warehouse_id
from shopcore.enums import Role
from shopcore.stock_arrivals import receive_stock
from shopcore.values import MAX_QUANTITY

log = logging.getLogger(__name__)


@blueprint.route("/inventory/receive", methods=["GET", "POST"])
@requires(Role.MANAGER)
def receive() -> tuple[str, int] | Response:
    """Book a delivery of units of one SKU into one warehouse."""
    if request.method == "GET":
        return _page(Form(request.args)), 200
    form = Form(request.form)
    db = db_session()
    sku = form.text("sku", max_length=64, required=True)
    code = form.text("warehouse", max_length=32, required=True)
    quantity = form.whole("quantity", minimum=1, maximum=MAX_QUANTITY, required=True)
    if sku and product_id(db, sku) is None:
        form.error("sku", "No product has this SKU.")
    if code and warehouse_id(db, code) is None:
        form.error("warehouse", "No warehouse has this code.")
    if not (form.ok and sku and code and quantity):
        return _page(form), 422
    run(lambda session: receive_stock(session, sku, code.upper(), quantity))
    user = current_user()
    log.info("%s received %s of %s into %s", user.email if user else "?", quantity, sku, code)
    flash(f"Received {quantity} of {sku} into {code.upper()}.", "ok")
    return redirect(url_for("admin.stock", q=sku))


def _page(form: Form) -> str:
    warehouses = [(w.code, f"{w.code} — {w.name}") for w in list_warehouses(db_session())]
    return render_template("stock_receive.html", form=form, warehouse_options=warehouses)
