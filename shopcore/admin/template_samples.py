"""A template rendered for one real customer, for the editor's preview and its test send.

The variables are the ones a real message would get (``retention.content.message_context``),
from a message and an enrollment that are never saved: the customer's newest cart for an
abandoned-cart email, their newest order for a cross-sell, its products for a reorder. When
the customer has none, the shop's newest one stands in, and the preview says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from config.settings import Settings
from retention.content import message_context
from retention.delivery import TEST_HEADER, OutgoingEmail, compose, open_sender
from retention.emails import CompiledTemplate, RenderedEmail, render
from retention.models import Enrollment, Message
from retention.tokens import new_token
from retention.vocabulary import TriggerKind
from shopcore.models import Cart, Customer, Order, OrderLine
from shopcore.orders import UNCOUNTED

REORDER_PRODUCTS = 3
TEST_SUBJECT_PREFIX = "[Test] "
_NONE = "sample data: the shop has none yet"


@dataclass(frozen=True)
class Sample:
    email: RenderedEmail
    # What the variables were read from, for the page to say.
    source: str


def sample_customer() -> Customer:
    """A customer who is never saved, for a shop that has none with an email yet."""
    return Customer(first_name="Ann", last_name="Example", email="ann@example.com")


def render_sample(
    session: Session,
    settings: Settings,
    compiled: CompiledTemplate,
    customer: Customer,
    kind: TriggerKind,
) -> Sample:
    """Render ``compiled`` as a ``kind`` email for ``customer``; raises TemplateError."""
    facts, source = _enrollment_context(session, customer, kind)
    message = Message(kind=kind, token=new_token())
    enrollment = Enrollment(context=facts)
    context = message_context(session, settings, message, enrollment, customer)
    return Sample(render(compiled, context), source)


def send_test(
    session: Session, settings: Settings, email: RenderedEmail, *, to: str, kind: TriggerKind
) -> None:
    """Send a rendered email to ``to`` as a marked test: over SMTP, or to the outbox.

    Raises UnsendableEmail for an address it cannot use, DeliveryError when the relay refuses.
    """
    outgoing = OutgoingEmail(
        message_id=0,
        token=new_token(),
        to=to,
        subject=(TEST_SUBJECT_PREFIX + email.subject)[:500],
        html=email.html,
        text=email.text,
        kind=kind,
    )
    msg = compose(outgoing, settings)
    msg[TEST_HEADER] = "yes"
    with open_sender(settings, session) as sender:
        sender.send(msg)


def _enrollment_context(
    session: Session, customer: Customer, kind: TriggerKind
) -> tuple[dict[str, Any], str]:
    if kind == TriggerKind.ABANDONED_CART:
        cart_id, whose = _newest(session, select(Cart.id), Cart.id, Cart.customer_id, customer)
        return ({"cart_id": cart_id}, f"cart #{cart_id} {whose}") if cart_id else ({}, _NONE)
    if kind in (TriggerKind.CROSS_SELL, TriggerKind.REORDER):
        counted = select(Order.id).where(Order.is_test.is_(False), Order.status.not_in(UNCOUNTED))
        order_id, whose = _newest(session, counted, Order.id, Order.customer_id, customer)
        if order_id is None:
            return {}, _NONE
        if kind == TriggerKind.CROSS_SELL:
            return {"order_id": order_id}, f"order #{order_id} {whose}"
        products = session.scalars(
            select(OrderLine.product_id)
            .where(OrderLine.order_id == order_id, OrderLine.product_id.is_not(None))
            .order_by(OrderLine.id)
            .limit(REORDER_PRODUCTS)
        )
        return {"product_ids": list(products)}, f"the products of order #{order_id} {whose}"
    if kind == TriggerKind.WIN_BACK:
        return {"segment": customer.segment}, "the customer's purchase history"
    return {}, "the customer and the shop"


def _newest(
    session: Session,
    query: Select[int],
    row_id: InstrumentedAttribute[int],
    owner: InstrumentedAttribute[int | None],
    customer: Customer,
) -> tuple[int | None, str]:
    """The newest row of ``query``: the customer's own, else the shop's (and whose it is)."""
    newest = query.order_by(row_id.desc()).limit(1)
    if customer.id is not None:
        own = session.scalar(newest.where(owner == customer.id))
        if own is not None:
            return own, "of this customer"
    return session.scalar(newest), "of another customer (this one has none): sample data"
