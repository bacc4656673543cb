"""Webhook deliveries: recorded once, acted on in the same transaction, replayed if rejected.

A delivery whose signature checked out is always kept: accepted with what it changed,
ignored with why, or rejected with the reason, raw body and headers, so that
``replay_delivery`` can process it again once the cause is fixed (the order it refunds has
arrived, say). Only signature-valid deliveries are ever stored, which is why a replay does
not check the signature again (the secret may have been rotated since).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopcore.canonical import FieldError, InvalidOrder
from shopcore.carts import record_cart
from shopcore.customers import match_customer
from shopcore.db import Database, utcnow
from shopcore.enums import Channel, DeliveryStatus, Platform
from shopcore.events import InvalidEvent
from shopcore.intake.payloads import (
    CartSnapshot,
    CustomerReport,
    Ignored,
    OrderDeletion,
    Payload,
    RefundReport,
    UnreadableBody,
)
from shopcore.intake.topics import read_delivery
from shopcore.models import Order, Source, WebhookDelivery
from shopcore.ordering import (
    IncomingOrder,
    InvalidTransition,
    accept_order,
    cancel_order,
    find_order,
    restock,
)
from shopcore.orders import UnknownWarehouse
from shopcore.transactions import Conflict, run_in_transaction


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    IGNORED = "ignored"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Arrival:
    """A delivery as it came: what it is about, what identifies it, and its raw content."""

    topic: str
    key: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Rejection:
    """Why a delivery was refused, as the HTTP answer says it."""

    code: str
    message: str
    status: int
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """What became of a delivery."""

    verdict: Verdict
    delivery_id: int | None
    order_id: int | None = None
    # For orders how accept_order took it (created, updated, unchanged, stale); else what
    # was done (restocked, cancelled, cart, customer).
    outcome: str | None = None
    note: str | None = None
    rejection: Rejection | None = None


class DeliveryNotFound(LookupError):
    """No webhook delivery has that id."""


class NotReplayable(ValueError):
    """Only rejected deliveries are replayed; this one was accepted or ignored."""


class UnknownOrder(LookupError):
    """The delivery refers to an order this source has not sent (yet)."""


class _AlreadyDone(Exception):
    """Raised out of a transaction that found its delivery processed already."""

    def __init__(self, delivery: WebhookDelivery) -> None:
        self.receipt = _duplicate(delivery)


def _duplicate(delivery: WebhookDelivery) -> Receipt:
    return Receipt(Verdict.DUPLICATE, delivery.id, delivery.order_id)


def find_source(database: Database, name: str) -> Source | None:
    """The source called ``name``."""
    with database.session() as session:
        return session.scalar(select(Source).where(Source.name == name))


def receive_delivery(
    database: Database, source: Source, arrival: Arrival, *, region: str | None
) -> Receipt:
    """Record a verified delivery and act on it, committed before this returns.

    A delivery seen before and not rejected is a duplicate and changes nothing; one seen
    and rejected is tried again.
    """
    with database.session() as session:
        seen = _find(session, source.id, arrival.key)
        if seen is not None and seen.status != DeliveryStatus.REJECTED:
            return _duplicate(seen)
    return _process(database, source.id, source.platform, arrival, region)


def replay_delivery(database: Database, delivery_id: int, *, region: str | None) -> Receipt:
    """Process a rejected delivery again from the body and headers it was received with."""
    with database.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            raise DeliveryNotFound(f"no webhook delivery {delivery_id}")
        if delivery.status != DeliveryStatus.REJECTED:
            raise NotReplayable(
                f"delivery {delivery_id} was {delivery.status.value}; only rejected ones replay"
            )
        platform = session.scalars(
            select(Source.platform).where(Source.id == delivery.source_id)
        ).one()
        arrival = Arrival(delivery.topic, delivery.delivery_key, delivery.headers, delivery.body)
        source_id = delivery.source_id
    return _process(database, source_id, platform, arrival, region)


def _process(
    database: Database, source_id: int, platform: Platform, arrival: Arrival, region: str | None
) -> Receipt:
    try:
        payload = read_delivery(platform, arrival.topic, arrival.body)
    except (UnreadableBody, InvalidOrder, InvalidEvent) as e:
        return _reject(database, source_id, arrival, _rejection(e))

    def work(session: Session) -> Receipt:
        delivery = _claim(session, source_id, arrival)
        source = session.get_one(Source, source_id)
        receipt = _apply(session, payload, source, region)
        delivery.status = DeliveryStatus(receipt.verdict.value)
        delivery.order_id = receipt.order_id
        delivery.error = receipt.note
        delivery.processed_at = utcnow()
        session.flush()
        return Receipt(
            receipt.verdict, delivery.id, receipt.order_id, receipt.outcome, receipt.note
        )

    try:
        return _run(database, work)
    except _AlreadyDone as done:
        return done.receipt
    except (ValueError, LookupError) as e:
        # What the delivery asks cannot be done (an unknown order or warehouse): it is kept
        # for replay, and the store hears 4xx, so it retries too.
        return _reject(database, source_id, arrival, _rejection(e))


def _apply(session: Session, payload: Payload, source: Source, region: str | None) -> Receipt:
    """Act on what a delivery says; the Receipt's delivery id is filled in by the caller."""
    accepted = Verdict.ACCEPTED
    if isinstance(payload, IncomingOrder):
        result = accept_order(session, payload, source=source, region=region)
        return Receipt(accepted, None, result.order.id, result.outcome.value)
    if isinstance(payload, RefundReport):
        order = _order(session, source, payload.order_external_id)
        if order is None:
            raise UnknownOrder(f"no order {payload.order_external_id} from {source.name} yet")
        if payload.restocked:
            restock(session, order, payload.restocked)
        return Receipt(accepted, None, order.id, "restocked" if payload.restocked else "refunded")
    if isinstance(payload, OrderDeletion):
        order = _order(session, source, payload.external_id)
        if order is None:
            return Receipt(Verdict.IGNORED, None, note=f"no order {payload.external_id} to delete")
        try:
            cancel_order(session, order.id)
        except InvalidTransition as e:
            return Receipt(Verdict.IGNORED, None, order.id, note=str(e))
        return Receipt(accepted, None, order.id, "cancelled")
    if isinstance(payload, CartSnapshot):
        record_cart(session, payload, source=source, region=region)
        return Receipt(accepted, None, outcome="cart")
    if isinstance(payload, CustomerReport):
        seen_at = payload.updated_at or utcnow()
        match_customer(session, payload.contact, source=source.name, region=region, seen_at=seen_at)
        return Receipt(accepted, None, outcome="customer")
    if isinstance(payload, Ignored):
        return Receipt(Verdict.IGNORED, None, note=payload.reason)
    raise TypeError(f"no handler for {type(payload).__name__}")


def _order(session: Session, source: Source, external_id: str) -> Order | None:
    return find_order(
        session, source_id=source.id, channel=Channel.ONLINE, external_id=external_id, lock=True
    )


def _find(
    session: Session, source_id: int, key: str, *, lock: bool = False
) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(
        WebhookDelivery.source_id == source_id, WebhookDelivery.delivery_key == key
    )
    return session.scalar(query.with_for_update() if lock else query)


def _claim(session: Session, source_id: int, arrival: Arrival) -> WebhookDelivery:
    """This delivery's row, locked; a new one is inserted first so a twin waits for it."""
    delivery = _find(session, source_id, arrival.key, lock=True)
    if delivery is not None:
        if delivery.status != DeliveryStatus.REJECTED:
            raise _AlreadyDone(delivery)
        return delivery
    delivery = WebhookDelivery(
        source_id=source_id,
        delivery_key=arrival.key,
        topic=arrival.topic,
        status=DeliveryStatus.REJECTED,
        headers=arrival.headers,
        body=arrival.body,
    )
    try:
        with session.begin_nested():
            session.add(delivery)
    except IntegrityError as e:
        # A twin committed first: run again, and find out what became of it.
        raise Conflict(f"delivery {arrival.key} arrived twice at once") from e
    return delivery


def _reject(database: Database, source_id: int, arrival: Arrival, why: Rejection) -> Receipt:
    def work(session: Session) -> Receipt:
        delivery = _claim(session, source_id, arrival)
        delivery.status = DeliveryStatus.REJECTED
        delivery.order_id = None
        delivery.error = why.message
        delivery.processed_at = utcnow()
        session.flush()
        return Receipt(Verdict.REJECTED, delivery.id, rejection=why)

    try:
        return _run(database, work)
    except _AlreadyDone as done:
        return done.receipt


def _run(database: Database, work: Callable[[Session], Receipt], *, attempts: int = 3) -> Receipt:
    """``run_in_transaction``, again after a unique violation.

    Two deliveries naming the same new customer at once race for the customer's identities;
    once the winner has committed, running again finds its rows.
    """
    for attempt in range(1, attempts + 1):
        try:
            return run_in_transaction(database, work)
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _rejection(error: Exception) -> Rejection:
    if isinstance(error, InvalidOrder):
        return Rejection("invalid_order", str(error), 400, tuple(error.errors))
    if isinstance(error, InvalidEvent):
        return Rejection("invalid_event", str(error), 400, tuple(error.errors))
    if isinstance(error, UnreadableBody):
        return Rejection("unreadable_body", str(error), 400, tuple(error.errors))
    if isinstance(error, UnknownOrder):
        return Rejection("unknown_order", str(error), 422)
    if isinstance(error, UnknownWarehouse):
        return Rejection("unknown_warehouse", str(error), 422)
    return Rejection("cannot_apply", str(error) or type(error).__name__, 422)
