"""Telling the storefront when a SKU's total available changes, after the change commits.

A transaction that changes stock several times (an order allocated, then waiting orders
served) still sends one publication: the SKUs of every call in the transaction are gathered
into the one job queued at its first call. The job reads the figures when it runs, so a late
or retried publication carries what is true then, not what was true at the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from config.settings import load_settings
from shopcore.models import Product
from shopcore.queue import enqueue_after_commit

JOB = "inventory.jobs.publish_availability"
_GATHERED = "inventory.published_skus"


def publish_after_commit(session: Session, product_ids: Iterable[int | None]) -> None:
    """Queue a publication of these products' availability for when ``session`` commits."""
    ids = sorted({p for p in product_ids if p is not None})
    if not ids or not load_settings().stock_webhook_url:
        # Nobody listens: queueing a job per order that then does nothing is pure cost.
        return
    skus = set(session.scalars(select(Product.sku).where(Product.id.in_(ids))))
    gathered: list[str] | None = session.info.get(_GATHERED)
    if gathered is None:
        gathered = []
        # The job holds this very list: SKUs added later in the transaction ride along.
        enqueue_after_commit(session, JOB, gathered)
        session.info[_GATHERED] = gathered
    gathered.extend(sorted(skus - set(gathered)))


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    # Releasing a savepoint is an after_commit too; the job is still pending then.
    if not session.in_nested_transaction():
        session.info.pop(_GATHERED, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: Any) -> None:
    if not session.in_transaction():
        session.info.pop(_GATHERED, None)
