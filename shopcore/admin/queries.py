"""The admin's read queries: each one bounded, paginated or aggregated in the database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import Session, selectinload

from shopcore.enums import Channel, IdentityKind, OrderStatus
from shopcore.identity import normalize_email, normalize_phone
from shopcore.models import Customer, CustomerIdentity, Order

COUNTED = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


@dataclass(frozen=True)
class ChannelTotal:
    channel: Channel
    orders: int
    revenue: Decimal
    customers: int


def channel_totals(session: Session) -> list[ChannelTotal]:
    rows = session.execute(
        select(
            Order.channel,
            func.count(Order.id),
            func.coalesce(func.sum(Order.total), 0),
            func.count(distinct(Order.customer_id)),
        )
        .where(Order.is_test.is_(False), Order.status.not_in(COUNTED))
        .group_by(Order.channel)
    ).all()
    found = {r[0]: ChannelTotal(r[0], r[1], Decimal(r[2]), r[3]) for r in rows}
    return [found.get(c, ChannelTotal(c, 0, Decimal(0), 0)) for c in Channel]


def customer_counts(session: Session) -> dict[str, int]:
    per_customer = (
        select(Order.customer_id)
        .where(Order.customer_id.is_not(None), Order.is_test.is_(False))
        .group_by(Order.customer_id)
        .having(func.count(distinct(Order.channel)) > 1)
        .subquery()
    )
    return {
        "customers": session.scalar(select(func.count(Customer.id))) or 0,
        "multi_channel": session.scalar(select(func.count()).select_from(per_customer)) or 0,
        "identities": session.scalar(select(func.count(CustomerIdentity.id))) or 0,
    }


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
