"""Exit conditions: has something happened since a customer entered that ends their enrollment?"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from retention.models import Enrollment, Trigger
from retention.vocabulary import ExitCondition
from shopcore.enums import CartStatus
from shopcore.models import Cart, CartItem, Customer, Order
from shopcore.orders import UNCOUNTED


def exit_reason(
    session: Session, enrollment: Enrollment, trigger: Trigger, customer: Customer
) -> str | None:
    """The first of the trigger's exit conditions that holds now, or None."""
    for condition in trigger.exit_conditions or ():
        if condition == ExitCondition.ORDERED and _ordered_since(session, enrollment):
            return "ordered"
        if condition == ExitCondition.CART_EMPTIED and _cart_gone(session, enrollment):
            return "cart emptied"
        if condition == ExitCondition.LEFT_SEGMENT:
            entered = (enrollment.context or {}).get("segment")
            if entered is not None and customer.segment != entered:
                return "left segment"
    return None


def _ordered_since(session: Session, enrollment: Enrollment) -> bool:
    # The order that enrolled the customer is not "since": strictly later orders only.
    return bool(
        session.scalar(
            select(
                exists().where(
                    Order.customer_id == enrollment.customer_id,
                    Order.placed_at > enrollment.entered_at,
                    Order.is_test.is_(False),
                    Order.status.not_in(UNCOUNTED),
                )
            )
        )
    )


def _cart_gone(session: Session, enrollment: Enrollment) -> bool:
    cart_id = (enrollment.context or {}).get("cart_id")
    if cart_id is None:
        return False
    cart = session.get(Cart, int(cart_id))
    if cart is None or cart.status != CartStatus.OPEN:
        # An ordered cart is caught by "ordered" when that is a condition; either way the
        # reminder has nothing left to remind of.
        return True
    return not session.scalar(select(exists().where(CartItem.cart_id == cart.id)))
