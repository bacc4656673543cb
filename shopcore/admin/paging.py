"""Keyset pagination: a page of rows after (or before) the key of a row already shown.

Each page is one indexed range scan of ``size + 1`` rows, however deep the page, and rows
added meanwhile never shift a page by one. The links carry ``after`` or ``before``, the key
of the last or first row shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from shopcore.admin.base import MAX_ID

MAX_TEXT_KEY = 200


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after one key, before one, or at the top (both None)."""

    after: Any = None
    before: Any = None


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    # Keys for the links to the previous and next pages; None where there is none.
    before: Any
    after: Any


def int_cursor() -> Cursor:
    """The cursor of the request's ``after`` and ``before`` ids (unreadable ones ignored)."""
    return Cursor(_int_arg("after"), _int_arg("before"))


def text_cursor() -> Cursor:
    """The cursor of the request's ``after`` and ``before`` text keys (a SKU, an email)."""
    after, before = (request.args.get(n, "")[:MAX_TEXT_KEY] or None for n in ("after", "before"))
    return Cursor(after, before)


def keyset_page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    key: InstrumentedAttribute[Any],
    cursor: Cursor,
    *,
    size: int,
    descending: bool = False,
) -> Page:
    """One page of ``query`` in ``key`` order (a unique, indexed column of its first entity).

    A query of one entity gives entities; of several columns, rows whose first item is
    the entity that has ``key``.
    """
    backwards = cursor.before is not None and cursor.after is None
    if cursor.after is not None:
        query = query.where(key < cursor.after if descending else key > cursor.after)
    if backwards:
        query = query.where(key > cursor.before if descending else key < cursor.before)
    # Going back, fetch the rows nearest the cursor first, then turn them round.
    fetch_descending = descending != backwards
    query = query.order_by(key.desc() if fetch_descending else key.asc()).limit(size + 1)
    single = len(query.column_descriptions) == 1
    fetched = list(session.scalars(query) if single else session.execute(query).all())
    more = len(fetched) > size
    rows = fetched[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(rows, None, None)

    def key_of(row: Any) -> Any:
        return getattr(row if single else row[0], key.key)

    has_before = more if backwards else cursor.after is not None
    has_after = True if backwards else more
    return Page(
        rows,
        key_of(rows[0]) if has_before else None,
        key_of(rows[-1]) if has_after else None,
    )


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 <= value <= MAX_ID else None
