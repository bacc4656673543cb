"""``shopcore triggers ...``: install the standard set, run a scheduler pass, report results."""

from __future__ import annotations

from datetime import timedelta

import click

from retention.defaults import install_defaults
from retention.results import format_results, trigger_results
from retention.scheduler import tick
from shopcore.command_support import database_or_fail as _database
from shopcore.command_support import settings_or_fail as _settings
from shopcore.db import utcnow


@click.group()
def triggers() -> None:
    """Retention triggers: the standard set, scheduler passes and results."""


@triggers.command("defaults")
def triggers_defaults() -> None:
    """Install, enabled, the standard triggers and their templates (skips those present)."""
    database = _database()
    with database.session() as session:
        installed = install_defaults(session)
        session.commit()
    if installed:
        click.echo("installed: " + ", ".join(installed))
    else:
        click.echo("the standard triggers are already installed")


@triggers.command("tick")
def triggers_tick() -> None:
    """Run one scheduler pass: enroll from new events, queue the steps that are due."""
    settings = _settings()
    report = tick(_database(settings), settings)
    for name, count in report.enrolled.items():
        click.echo(f"{name}: {count} enrolled")
    click.echo(f"{report.claimed} due steps queued in {report.batches} batches")


@triggers.command("results")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True)
def triggers_results(days: int) -> None:
    """Per trigger: sent, opened, clicked, attributed and incremental revenue."""
    settings = _settings()
    until = utcnow()
    with _database(settings).session() as session:
        results = trigger_results(
            session,
            since=until - timedelta(days=days),
            until=until,
            attribution_days=settings.attribution_days,
        )
    click.echo(format_results(results))
