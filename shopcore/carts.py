"""Storefront carts and checkouts, kept so abandoned-cart triggers know what was left behind.

Carts arrive as storefront events (``POST /api/v1/events``) and as store webhooks (Shopify
checkouts, generic cart events). Reports may arrive in any order: one older than the cart's
last changes nothing, and a cart that became an order stays ordered.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from shopcore.customers import match_customer
from shopcore.enums import CartStatus
from shopcore.intake.payloads import CartSnapshot
from shopcore.models import Cart, CartItem, Source
from shopcore.orders import find_product_ids
from shopcore.transactions import Conflict


def record_cart(
    session: Session, snapshot: CartSnapshot, *, source: Source, region: str | None
) -> Cart:
    """Create or bring up to date the cart a store reports; flushes, the caller commits.

    A report older than the cart's last one returns the cart unchanged.
    """
    cart = session.scalar(
        select(Cart)
        .where(Cart.source_id == source.id, Cart.external_id == snapshot.external_id)
        .with_for_update()
        .options(selectinload(Cart.items))
    )
    if cart is not None and cart.updated_at > snapshot.updated_at:
        return cart
    customer = None
    if snapshot.contact is not None:
        customer = match_customer(
            session,
            snapshot.contact,
            source=source.name,
            region=region,
            seen_at=snapshot.updated_at,
        )
    products = find_product_ids(session, {item.sku for item in snapshot.items})
    items = [
        CartItem(
            sku=item.sku,
            product_id=products.get(item.sku),
            quantity=item.quantity,
            unit_price=item.unit_price,
        )
        for item in snapshot.items
    ]
    if cart is None:
        cart = Cart(
            source_id=source.id,
            external_id=snapshot.external_id,
            customer_id=customer.id if customer else None,
            status=snapshot.status,
            currency=snapshot.currency,
            total=snapshot.total,
            updated_at=snapshot.updated_at,
            items=items,
        )
        try:
            with session.begin_nested():
                session.add(cart)
        except IntegrityError as e:
            # The same cart arrived on another connection a moment ago: start over.
            raise Conflict(f"cart {snapshot.external_id} was created concurrently") from e
        return cart
    cart.customer_id = customer.id if customer else cart.customer_id
    if cart.status != CartStatus.ORDERED:
        cart.status = snapshot.status
    cart.currency = snapshot.currency
    cart.total = snapshot.total
    cart.updated_at = snapshot.updated_at
    cart.items = items
    session.flush()
    return cart
