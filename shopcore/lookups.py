"""Fetching the rows behind many composite keys at once, as index lookups on every backend.

``a IN (...) AND b IN (...)`` is what a batch wants to send, but PostgreSQL plans it from
its statistics, and while an import fills an empty table those say the table is tiny: the
planner then scans it and tests every row against every key, so each batch costs more than
the one before. One ``LIMIT 1`` probe per key on a unique index is the same plan at any
table size, so on PostgreSQL the keys go in as arrays, unnested and probed LATERALly. SQLite
plans IN lists on an index without statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, String, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased
from sqlalchemy.orm.interfaces import ORMOption

T = TypeVar("T")

# Keys per statement: well inside both backends' limits on bound parameters.
CHUNK = 1000


def fetch_by_keys(
    session: Session,
    entity: type[T],
    columns: Sequence[InstrumentedAttribute[Any]],
    keys: Collection[tuple[str, ...]],
    *where: Any,
    loading: Callable[[Any], ORMOption] | None = None,
) -> list[T]:
    """Rows of ``entity`` whose ``columns`` equal one of ``keys`` (text values), and ``where``.

    ``columns`` with ``where`` must cover a unique index. On SQLite the IN lists also let
    through rows that mix two keys' values, so callers check the full key of what comes back.
    ``loading`` makes a loader option for the entity queried, e.g. ``selectinload(e.lines)``.
    """
    ordered = sorted(keys)
    found: list[T] = []
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        found.extend(session.scalars(_statement(session, entity, columns, chunk, where, loading)))
    return found


def _statement(
    session: Session,
    entity: type[T],
    columns: Sequence[InstrumentedAttribute[Any]],
    keys: Sequence[tuple[str, ...]],
    where: Sequence[Any],
    loading: Callable[[Any], ORMOption] | None,
) -> Select[T]:
    if session.get_bind().dialect.name != "postgresql":
        lists = [c.in_(sorted({key[i] for key in keys})) for i, c in enumerate(columns)]
        statement = select(entity).where(*where, *lists)
        return statement.options(loading(entity)) if loading else statement
    names = [f"k{i}" for i in range(len(columns))]
    # One array per column, so the statement is the same for every batch: compiled and
    # prepared once, where a VALUES list would be a new statement of thousands of parameters.
    arrays = [
        bindparam(name, [str(key[i]) for key in keys], type_=ARRAY(String))
        for i, name in enumerate(names)
    ]
    wanted = func.unnest(*arrays).table_valued(*names).render_derived(name="wanted")
    probe = (
        select(entity)
        .where(*where, *(c == wanted.c[name] for c, name in zip(columns, names, strict=True)))
        .limit(1)
        .lateral()
    )
    found = aliased(entity, probe)
    statement = select(found).select_from(wanted).join(probe, true())
    return statement.options(loading(found)) if loading else statement
