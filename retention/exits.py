"""Exit conditions: has something happened since a customer entered that ends their enrollment?

The facts are read for a whole batch in two queries; the rule itself is a plain function.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from retention.models import Enrollment, Trigger
from retention.vocabulary import ExitCondition
from shopcore.enums import CartStatus
from shopcore.models import Cart, Customer, Order
from shopcore.orders import UNCOUNTED


@dataclass(frozen=True)
class ExitFacts:
    """Each customer's latest counted order and the carts the enrollments are about."""

    last_order_at: dict[int, datetime]
    carts: dict[int, Cart]


def load_exit_facts(session: Session, enrollments: Iterable[Enrollment]) -> ExitFacts:
    """Read what the exit conditions of ``enrollments`` need, in two queries."""
    enrollments = list(enrollments)
    customer_ids = {e.customer_id for e in enrollments}
    cart_ids = {int(e.context["cart_id"]) for e in enrollments if (e.context or {}).get("cart_id")}
    rows = session.execute(
        select(Order.customer_id, func.max(Order.placed_at))
        .where(
            Order.customer_id.in_(customer_ids),
            Order.is_test.is_(False),
            Order.status.not_in(UNCOUNTED),
        )
        .group_by(Order.customer_id)
    )
    last_order_at = {customer_id: at for customer_id, at in rows if customer_id is not None}
    carts = (
        {
            c.id: c
            for c in session.scalars(
                select(Cart).where(Cart.id.in_(cart_ids)).options(selectinload(Cart.items))
            )
        }
        if cart_ids
        else {}
    )
    return ExitFacts(last_order_at=last_order_at, carts=carts)


def exit_reason(
    enrollment: Enrollment, trigger: Trigger, customer: Customer, facts: ExitFacts
) -> str | None:
    """The first of the trigger's exit conditions that holds now, or None."""
    for condition in trigger.exit_conditions or ():
        if condition == ExitCondition.ORDERED:
            # The order that enrolled the customer is not "since": strictly later ones only.
            last = facts.last_order_at.get(enrollment.customer_id)
            if last is not None and last > enrollment.entered_at:
                return "ordered"
        if condition == ExitCondition.CART_EMPTIED and _cart_gone(enrollment, facts):
            return "cart emptied"
        if condition == ExitCondition.LEFT_SEGMENT:
            entered = (enrollment.context or {}).get("segment")
            if entered is not None and customer.segment != entered:
                return "left segment"
    return None


def _cart_gone(enrollment: Enrollment, facts: ExitFacts) -> bool:
    cart_id = (enrollment.context or {}).get("cart_id")
    if cart_id is None:
        return False
    cart = facts.carts.get(int(cart_id))
    # An ordered cart is caught by "ordered" when that is a condition; either way the
    # reminder has nothing left to remind of.
    return cart is None or cart.status != CartStatus.OPEN or not cart.items
