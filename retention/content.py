"""What each kind of email says: the template variables for one message, read from the rows.

Prices are the products' current ones, product blocks hold only what is in stock, and money
is formatted here, so templates only place text.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from config.settings import Settings
from retention.consent import nps_links
from retention.models import Enrollment, Message
from retention.recommend import bought_products, co_purchased, in_stock
from retention.vocabulary import TriggerKind
from shopcore.models import Cart, CartItem, Customer, OrderLine, Product

RECOMMENDATIONS = 3


class Catalog:
    """Products and their stock as one batch of messages sees them, each read once."""

    def __init__(self, session: Session, carts: dict[int, Cart] | None = None) -> None:
        self.session = session
        # Held here, not only in the session's identity map, which forgets unreferenced rows.
        self._carts: dict[int, Cart] = dict(carts or {})
        self._products: dict[int, Product | None] = {}
        self._available: dict[int, bool] = {}

    def cart(self, cart_id: int) -> Cart | None:
        if cart_id not in self._carts:
            found = self.session.scalar(
                select(Cart).where(Cart.id == cart_id).options(selectinload(Cart.items))
            )
            if found is None:
                return None
            self._carts[cart_id] = found
        return self._carts[cart_id]

    def products(self, ids: Iterable[int | None]) -> dict[int, Product]:
        wanted = {i for i in ids if i is not None}
        missing = wanted - self._products.keys()
        if missing:
            found = self.session.scalars(select(Product).where(Product.id.in_(missing)))
            loaded = {p.id: p for p in found}
            self._products.update({i: loaded.get(i) for i in missing})
        return {i: p for i in wanted if (p := self._products[i]) is not None}

    def in_stock(self, ids: Iterable[int | None]) -> set[int]:
        wanted = {i for i in ids if i is not None}
        missing = wanted - self._available.keys()
        if missing:
            available = in_stock(self.session, missing)
            self._available.update({i: i in available for i in missing})
        return {i for i in wanted if self._available[i]}


def message_context(
    session: Session,
    settings: Settings,
    message: Message,
    enrollment: Enrollment,
    customer: Customer,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The variables the template of ``message`` is rendered with."""
    catalog = catalog or Catalog(session)
    shop_url = settings.shop_url.rstrip("/")
    context: dict[str, Any] = {
        "shop": {
            "name": settings.shop_name,
            "url": shop_url,
            "logo_url": f"{settings.base_url.rstrip('/')}/static/logo.png",
        },
        "shop_url": shop_url,
        "customer": {
            "first_name": customer.first_name or "",
            "last_name": customer.last_name or "",
        },
        "unsubscribe_url": f"{settings.base_url.rstrip('/')}/u/{message.token}",
    }
    kind = message.kind
    facts = enrollment.context or {}
    if kind == TriggerKind.ABANDONED_CART:
        context.update(_cart(catalog, settings, facts.get("cart_id")))
    elif kind == TriggerKind.CROSS_SELL:
        context.update(_cross_sell(catalog, settings, customer.id, facts.get("order_id")))
    elif kind == TriggerKind.REORDER:
        product_ids = [int(i) for i in facts.get("product_ids", [])]
        context["products"] = _product_blocks(catalog, settings, product_ids)
        context["reorder_url"] = f"{shop_url}/cart/add?" + "&".join(
            f"sku={block['sku']}" for block in context["products"]
        )
    elif kind == TriggerKind.WIN_BACK:
        owned = bought_products(session, customer.id)
        picks = co_purchased(session, sorted(owned), exclude=owned, limit=RECOMMENDATIONS)
        context["products"] = _product_blocks(catalog, settings, picks)
        context["offer"] = None
    elif kind == TriggerKind.NPS:
        context["nps_links"] = nps_links(settings.base_url, message.token)
    return context


def money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount.quantize(Decimal('0.01'))}"


def _cart(catalog: Catalog, settings: Settings, cart_id: Any) -> dict[str, Any]:
    cart = catalog.cart(int(cart_id)) if cart_id is not None else None
    if cart is None:
        return {
            "items": [],
            "subtotal": money(Decimal(0), settings.currency),
            "cart_url": settings.shop_url,
        }
    items: list[CartItem] = list(cart.items)
    product_ids = {item.product_id for item in items if item.product_id is not None}
    products = catalog.products(product_ids)
    available = catalog.in_stock(product_ids)
    blocks, subtotal = [], Decimal(0)
    for item in items:
        product = products.get(item.product_id) if item.product_id is not None else None
        price = product.price if product is not None else item.unit_price
        subtotal += price * item.quantity
        blocks.append(
            {
                "sku": item.sku,
                "name": product.name if product is not None else item.sku,
                "url": _product_url(settings, item.sku),
                "image_url": _image(settings, product),
                "price": money(price, cart.currency),
                "quantity": item.quantity,
                "in_stock": item.product_id in available,
            }
        )
    return {
        "items": blocks,
        "subtotal": money(subtotal, cart.currency),
        "cart_url": f"{settings.shop_url.rstrip('/')}/cart/{cart.external_id}",
    }


def _cross_sell(
    catalog: Catalog, settings: Settings, customer_id: int, order_id: Any
) -> dict[str, Any]:
    session = catalog.session
    bought: list[int] = []
    if order_id is not None:
        lines = select(OrderLine.product_id).where(OrderLine.order_id == int(order_id))
        bought = [p for p in session.scalars(lines.order_by(OrderLine.id)) if p is not None]
    owned = bought_products(session, customer_id) | set(bought)
    picks = co_purchased(session, bought, exclude=owned, limit=RECOMMENDATIONS)
    purchased = catalog.products(bought[:1])
    first = purchased.get(bought[0]) if bought else None
    return {
        "purchased": {"name": first.name if first is not None else "your order"},
        "products": _product_blocks(catalog, settings, picks),
    }


def _product_blocks(
    catalog: Catalog, settings: Settings, product_ids: Iterable[int]
) -> list[dict[str, Any]]:
    ids = list(dict.fromkeys(product_ids))
    products = catalog.products(ids)
    available = catalog.in_stock(ids)
    return [
        {
            "sku": products[i].sku,
            "name": products[i].name,
            "url": _product_url(settings, products[i].sku),
            "image_url": _image(settings, products[i]),
            "price": money(products[i].price, settings.currency),
            "in_stock": i in available,
        }
        for i in ids
        if i in products
    ]


def _product_url(settings: Settings, sku: str) -> str:
    return f"{settings.shop_url.rstrip('/')}/products/{sku}"


def _image(settings: Settings, product: Product | None) -> str:
    if product is not None and product.image_url:
        return product.image_url
    return f"{settings.base_url.rstrip('/')}/static/product.png"
