"""Inventory: stock by SKU and warehouse, low stock, the movement ledger, counts, ABC/XYZ."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from inventory.analysis import analyse_products
from inventory.models import MovementKind
from inventory.warehouses import list_warehouses
from shopcore.admin.access import current_user, requires
from shopcore.admin.base import MAX_ID, PAGE_SIZE, blueprint, db_session, run
from shopcore.admin.forms import Form
from shopcore.admin.paging import Page, int_cursor, text_cursor
from shopcore.admin.stock_queries import (
    ABC,
    XYZ,
    MovementFilter,
    allocated_units,
    find_movements,
    find_stock,
    low_stock,
    matrix,
    product_id,
    warehouse_id,
)
from shopcore.enums import Role
from shopcore.stock_arrivals import set_stock
from shopcore.values import MAX_QUANTITY

log = logging.getLogger(__name__)

LOW_STOCK_DEFAULT = 5
MOVEMENT_FILTERS = ("sku", "warehouse", "kind", "order")


@blueprint.get("/inventory")
@requires(Role.VIEWER)
def stock() -> str:
    """Stock by SKU and warehouse: on hand, allocated to orders, available."""
    q = request.args.get("q", "").strip()[:64]
    page = find_stock(db_session(), q, text_cursor(), size=PAGE_SIZE)
    return render_template("stock.html", page=page, q=q)


@blueprint.get("/inventory/low")
@requires(Role.VIEWER)
def low() -> tuple[str, int]:
    """Warehouse levels with few units available (at most the threshold)."""
    form = Form(request.args)
    threshold = form.whole("threshold", minimum=0, maximum=MAX_QUANTITY)
    if threshold is None:
        threshold = LOW_STOCK_DEFAULT
    page = low_stock(db_session(), threshold, int_cursor(), size=PAGE_SIZE)
    html = render_template("low_stock.html", form=form, page=page, threshold=threshold)
    return html, 200 if form.ok else 422


@blueprint.get("/inventory/movements")
@requires(Role.VIEWER)
def movements() -> tuple[str, int]:
    """The movement ledger, newest first, by SKU, warehouse, kind and order."""
    form = Form(request.args)
    db = db_session()
    wanted = _movement_filter(form, db)
    page = (
        find_movements(db, wanted, int_cursor(), size=PAGE_SIZE)
        if form.ok
        else Page([], None, None)
    )
    filters = {name: form.raw[name] for name in MOVEMENT_FILTERS if form.raw.get(name)}
    html = render_template(
        "movements.html",
        form=form,
        page=page,
        filters=filters,
        kind_options=[(k.value, k.value) for k in MovementKind],
        warehouse_options=_warehouse_options(db),
    )
    return html, 200 if form.ok else 422


@blueprint.route("/inventory/count", methods=["GET", "POST"])
@requires(Role.MANAGER)
def count() -> tuple[str, int] | Response:
    """Record a stock count for one SKU in one warehouse."""
    db = db_session()
    if request.method == "GET":
        form = Form(request.args)
        return render_template(
            "stock_count.html", form=form, warehouse_options=_warehouse_options(db)
        ), 200
    form = Form(request.form)
    sku = form.text("sku", max_length=64, required=True)
    code = form.text("warehouse", max_length=32, required=True)
    on_hand = form.whole("on_hand", minimum=0, maximum=MAX_QUANTITY, required=True)
    product = product_id(db, sku) if sku else None
    if sku and product is None:
        form.error("sku", "No product has this SKU.")
    warehouse = warehouse_id(db, code) if code else None
    if code and warehouse is None:
        form.error("warehouse", "No warehouse has this code.")
    if form.ok and sku and code and on_hand is not None and product and warehouse:
        held = allocated_units(db, product, warehouse)
        if on_hand < held:
            form.error("on_hand", f"{held} units are allocated to orders: count at least that.")
        else:
            return _record_count(form, sku, code.upper(), on_hand)
    html = render_template("stock_count.html", form=form, warehouse_options=_warehouse_options(db))
    return html, 422


@blueprint.get("/inventory/analysis")
@requires(Role.VIEWER)
def analysis() -> tuple[str, int]:
    """ABC/XYZ: which products earn the money, and how steady their demand is."""
    form = Form(request.args)
    months = form.whole("months", minimum=2, maximum=36) or 12
    chosen = (form.text("cell", max_length=2) or "").upper()
    if chosen and (len(chosen) != 2 or chosen[0] not in ABC or chosen[1] not in XYZ):
        form.error("cell", "A cell is a letter of ABC and one of XYZ, like AX.")
        chosen = ""
    classes = analyse_products(db_session(), months=months)
    members = [c for c in classes if c.cell == chosen]
    html = render_template(
        "analysis.html",
        form=form,
        months=months,
        cells=matrix(classes),
        abc=ABC,
        xyz=XYZ,
        chosen=chosen,
        members=members,
    )
    return html, 200 if form.ok else 422


def _record_count(form: Form, sku: str, code: str, on_hand: int) -> tuple[str, int] | Response:
    try:
        run(lambda session: set_stock(session, sku, code, on_hand))
    except ValueError:
        # An order took units between the check above and the count: say so, keep the form.
        form.error("on_hand", "Orders took some of these units meanwhile; count again.")
        html = render_template(
            "stock_count.html", form=form, warehouse_options=_warehouse_options(db_session())
        )
        return html, 409
    user = current_user()
    log.info("%s counted %s of %s in %s", user.email if user else "?", on_hand, sku, code)
    flash(f"Counted {on_hand} of {sku} in {code}.", "ok")
    return redirect(url_for("admin.stock", q=sku))


def _movement_filter(form: Form, db: Session) -> MovementFilter:
    sku = form.text("sku", max_length=64)
    product = product_id(db, sku) if sku else None
    if sku and product is None:
        form.error("sku", "No product has this SKU.")
    code = form.text("warehouse", max_length=32)
    warehouse = warehouse_id(db, code) if code else None
    if code and warehouse is None:
        form.error("warehouse", "No warehouse has this code.")
    return MovementFilter(
        product_id=product,
        warehouse_id=warehouse,
        kind=form.choice("kind", MovementKind),
        order_id=form.whole("order", minimum=1, maximum=MAX_ID),
    )


def _warehouse_options(db: Session) -> list[tuple[str, str]]:
    return [(w.code, f"{w.code} · {w.name}") for w in list_warehouses(db)]
