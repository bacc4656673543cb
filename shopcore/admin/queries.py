"""The admin's customer reads: search, channels per customer, one customer's history."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from retention.models import Message as RetentionMessage
from retention.models import Trigger
from shopcore.enums import Channel, IdentityKind
from shopcore.identity import normalize_email, normalize_phone
from shopcore.models import Customer, CustomerIdentity, Order, SegmentMove


def find_customers(session: Session, q: str, page: int, size: int) -> tuple[list[Customer], bool]:
    """A page of customers matching ``q``, and whether there is a next page."""
    query = select(Customer).order_by(Customer.id)
    if q:
        values = [v for v in (normalize_email(q), normalize_phone(q)) if v]
        conditions = [Customer.last_name.ilike(f"{q}%"), Customer.first_name.ilike(f"{q}%")]
        if values:
            conditions.append(
                Customer.id.in_(
                    select(CustomerIdentity.customer_id).where(
                        CustomerIdentity.kind.in_([IdentityKind.EMAIL, IdentityKind.PHONE]),
                        CustomerIdentity.scope == "",
                        CustomerIdentity.value.in_(values),
                    )
                )
            )
        query = query.where(or_(*conditions))
    rows = list(session.scalars(query.offset((page - 1) * size).limit(size + 1)))
    return rows[:size], len(rows) > size


def channels_of(session: Session, customer_ids: list[int]) -> dict[int, list[Channel]]:
    result: dict[int, list[Channel]] = defaultdict(list)
    rows = session.execute(
        select(Order.customer_id, Order.channel)
        .where(Order.customer_id.in_(customer_ids))
        .group_by(Order.customer_id, Order.channel)
        .order_by(Order.channel)
    )
    for customer_id, channel in rows:
        if customer_id is not None:
            result[customer_id].append(channel)
    return result


def customer_with_identities(session: Session, customer_id: int) -> Customer | None:
    return session.scalar(
        select(Customer)
        .where(Customer.id == customer_id)
        .options(selectinload(Customer.identities))
    )


def orders_of(session: Session, customer_id: int, *, limit: int) -> list[Order]:
    return list(
        session.scalars(
            select(Order)
            .where(Order.customer_id == customer_id)
            .options(selectinload(Order.lines), selectinload(Order.source))
            .order_by(Order.placed_at.desc())
            .limit(limit)
        )
    )


def segment_moves_of(session: Session, customer_id: int, *, limit: int) -> list[SegmentMove]:
    """The customer's latest segment moves, newest first."""
    return list(
        session.scalars(
            select(SegmentMove)
            .where(SegmentMove.customer_id == customer_id)
            .order_by(SegmentMove.moved_at.desc(), SegmentMove.id.desc())
            .limit(limit)
        )
    )


def messages_of(
    session: Session, customer_id: int, *, limit: int
) -> list[tuple[RetentionMessage, str]]:
    """The retention emails the customer was sent (or is being sent), newest first, with
    their trigger's name."""
    rows = session.execute(
        select(RetentionMessage, Trigger.name)
        .join(Trigger, Trigger.id == RetentionMessage.trigger_id)
        .where(RetentionMessage.customer_id == customer_id)
        .order_by(RetentionMessage.created_at.desc(), RetentionMessage.id.desc())
        .limit(limit)
    )
    return [(message, name) for message, name in rows]
