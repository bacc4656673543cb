"""Alembic environment: runs Shopcore's migrations on the connection it is handed."""

from __future__ import annotations

from alembic import context

import inventory.models  # noqa: F401  (registers the inventory tables)
import retention.models  # noqa: F401  (registers the retention tables)
import shopcore.models  # noqa: F401  (registers the order-side tables)
import shopcore.snapshots  # noqa: F401  (registers the admin snapshots)
from shopcore.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
