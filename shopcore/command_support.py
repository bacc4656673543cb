"""What every ``shopcore`` command needs: settings and a migrated database, or a clear error."""

from __future__ import annotations

from typing import Any

import click

from config.settings import Settings, SettingsError, load_settings
from shopcore import db, migrate


def settings_or_fail(**overrides: Any) -> Settings:
    """The settings, or a one-line error naming the bad one."""
    try:
        return load_settings(None, **overrides)
    except SettingsError as e:
        raise click.ClickException(str(e)) from e


def database_or_fail(settings: Settings | None = None) -> db.Database:
    """The configured database, refusing politely when it has not been migrated."""
    database = db.configure(settings or settings_or_fail())
    if not migrate.is_migrated(database.engine):
        raise click.ClickException("the database has no schema yet: run `shopcore db upgrade`")
    return database
