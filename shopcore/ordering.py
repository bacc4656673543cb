"""Live orders: placing, accepting from stores, cancelling, shipping and restocking.

History (CSV imports) is recorded by ``shopcore.orders``; this module is for orders that
hold stock. Every function takes a session, flushes, and leaves the commit to its caller,
which runs it through ``shopcore.transactions.run_in_transaction`` so that a deadlock or a
lost race (``Conflict``) is simply run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shopcore.canonical import CanonicalOrder
from shopcore.enums import OrderStatus
from shopcore.models import Order


@dataclass(frozen=True)
class IncomingOrder:
    """An order as a store reports it: the canonical order and the platform's view of it."""

    order: CanonicalOrder
    # The platform's state mapped to ours: PENDING (open, paid, processing, on-hold: still
    # to be fulfilled), SHIPPED (fulfilled, completed), CANCELLED, REFUNDED.
    status: OrderStatus = OrderStatus.PENDING
    is_test: bool = False
    # The platform's own updated-at: an older version never overwrites a newer one.
    version: datetime | None = None
    customer_external_id: str | None = None


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"


@dataclass(frozen=True)
class Accepted:
    order: Order
    outcome: Outcome


class OrderExists(ValueError):
    """An order with this source, channel and external id is already there."""

    def __init__(self, order_id: int) -> None:
        super().__init__(f"order {order_id} already exists")
        self.order_id = order_id


class UnknownSkus(ValueError):
    """The order names SKUs Shopcore does not know."""

    def __init__(self, skus: list[str]) -> None:
        super().__init__(f"unknown SKUs: {', '.join(skus)}")
        self.skus = skus


class InvalidTransition(ValueError):
    """The order's status does not allow that (shipping a cancelled order, say)."""


class OrderNotFound(LookupError):
    """No order has that id."""
