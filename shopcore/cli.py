"""The ``shopcore`` command line: set-up, imports, demo, web server and workers."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import run_simple

import retention.jobs  # noqa: F401  (loaded once here, not in every forked work horse)
from inventory.ledger import find_drift
from inventory.models import StockLevel
from inventory.warehouses import WarehouseExists, add_warehouse
from retention.commands import triggers
from retention.defaults import install_defaults
from retention.scheduler import tick
from retention.segments import export_rfm, recompute_rfm, thresholds_from
from retention.ticker import start_ticker
from shopcore import create_app, db, migrate
from shopcore.auth import UserExists, create_token, create_user
from shopcore.command_support import database_or_fail as _database
from shopcore.command_support import settings_or_fail as _settings
from shopcore.deliveries import DeliveryNotFound, NotReplayable, Receipt, replay_delivery
from shopcore.enums import WEBHOOK_PLATFORMS, Channel, Platform, Role
from shopcore.imports import ImportKind, import_csv
from shopcore.models import Customer
from shopcore.orders import SourceConflict
from shopcore.queue import run_worker
from shopcore.seed import SeedSummary, seed_store
from shopcore.server import serve_with_gunicorn
from shopcore.sources import InvalidSource, SourceExists, add_source, webhook_path

DEMO_USER = "demo@shopcore.local"
DEMO_PASSWORD = "shopcore-demo"


@contextmanager
def _session() -> Iterator[Session]:
    with _database().session() as session:
        yield session


@click.group()
@click.version_option(package_name="shopcore")
def main() -> None:
    """Shopcore: orders from every channel, stock that never oversells, retention emails."""


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations up to the newest schema."""
    database = db.configure(_settings())
    migrate.upgrade(database.engine)
    click.echo(f"database at the newest schema ({database.dialect})")


@main.group()
def users() -> None:
    """Admin logins."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.password_option("--password", help="Prompted for when omitted.")
def users_create(email: str, role: str, password: str) -> None:
    """Create an admin login with a role (admin, manager or viewer)."""
    with _session() as session:
        try:
            user = create_user(session, email, role=Role(role), password=password)
        except (UserExists, ValueError) as e:
            raise click.ClickException(
                str(e) if not isinstance(e, UserExists) else f"a user {e} already exists"
            ) from e
        session.commit()
        click.echo(f"created {user.role.value} {user.email}")


@main.group()
def tokens() -> None:
    """API bearer tokens."""


@tokens.command("create")
@click.argument("name")
def tokens_create(name: str) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    with _session() as session:
        token = create_token(session, name)
        session.commit()
    click.echo(f"API token {name!r} (shown only now; store it safely):", err=True)
    click.echo(token)


@main.group()
def sources() -> None:
    """Stores that send orders by webhook."""


@sources.command("add")
@click.argument("name")
@click.option("--platform", type=click.Choice([p.value for p in WEBHOOK_PLATFORMS]), required=True)
@click.option("--secret", required=True, help="The webhook signing secret the store uses.")
def sources_add(name: str, platform: str, secret: str) -> None:
    """Add a webhook source; its orders arrive at /webhooks/NAME."""
    with _session() as session:
        try:
            source = add_source(session, name, platform=Platform(platform), secret=secret)
        except SourceExists as e:
            raise click.ClickException(f"a source named {name!r} already exists") from e
        except InvalidSource as e:
            raise click.ClickException(str(e)) from e
        session.commit()
        click.echo(f"source {name} ({platform}) receives webhooks at {webhook_path(source)}")


@main.group()
def warehouses() -> None:
    """Warehouses and the channels they ship for."""


def _channels(value: str) -> list[Channel]:
    try:
        return [Channel(part.strip()) for part in value.split(",") if part.strip()]
    except ValueError as e:
        raise click.BadParameter(f"channels are online, retail, wholesale: {value!r}") from e


@warehouses.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--priority", type=int, required=True, help="Lower ships first.")
@click.option("--channels", default="online,retail,wholesale", show_default=True)
def warehouses_add(code: str, name: str, priority: int, channels: str) -> None:
    """Add a warehouse serving some channels."""
    with _session() as session:
        try:
            warehouse = add_warehouse(
                session, code, name=name, priority=priority, channels=_channels(channels)
            )
        except WarehouseExists as e:
            raise click.ClickException(f"a warehouse {e} already exists") from e
        except ValueError as e:
            raise click.ClickException(str(e)) from e
        session.commit()
        served = ", ".join(sorted(warehouse.channels))
        click.echo(f"warehouse {warehouse.code} (priority {priority}) serves {served}")


def _is_empty(database: db.Database) -> bool:
    with database.session() as session:
        return not session.scalar(select(func.count(Customer.id)))


@main.command("import")
@click.argument("kind", type=click.Choice([k.value for k in ImportKind]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--channel",
    type=click.Choice([c.value for c in Channel]),
    help="The channel of rows that name none.",
)
@click.option(
    "--allocate", is_flag=True, help="Orders are new sales to allocate against stock, not history."
)
def import_command(kind: str, file: Path, channel: str | None, allocate: bool) -> None:
    """Import products, stock, customers or orders from a CSV file.

    Bad rows are reported by line and skipped, good rows are kept; importing the same file
    again changes nothing. Exits with 1 when any row was refused.
    """
    settings = _settings()
    database = _database(settings)
    with click.progressbar(
        length=file.stat().st_size, label=f"{kind} from {file.name}", file=sys.stderr
    ) as bar:
        try:
            report = import_csv(
                database,
                ImportKind(kind),
                file,
                channel=Channel(channel) if channel else None,
                region=settings.phone_region,
                progress=bar.update,
                allocate=allocate,
            )
        except SourceConflict as e:
            raise click.ClickException(str(e)) from e
    for error in report.errors:
        click.echo(f"{file}:{error.line}: {error.message}", err=True)
    click.echo(report.summary())
    if report.errors:
        sys.exit(1)


@main.command()
@click.option("--customers", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--orders", type=click.IntRange(min=0), help="Total orders [about 2.5 a customer].")
@click.option("--seed", "seed_value", type=int, default=42, show_default=True)
def seed(customers: int, orders: int | None, seed_value: int) -> None:
    """Fill an empty store with realistic synthetic data, the same for the same seed."""
    database = _database()
    summary = _seed(database, customers=customers, orders=orders, seed=seed_value)
    click.echo(_describe(summary))


def _seed(database: db.Database, *, customers: int, orders: int | None, seed: int) -> SeedSummary:
    with click.progressbar(length=customers, label="seeding customers", file=sys.stderr) as bar:
        try:
            return seed_store(
                database, customers=customers, orders=orders, seed=seed, progress=bar.update
            )
        except ValueError as e:
            raise click.ClickException(str(e)) from e


def _describe(summary: SeedSummary) -> str:
    return (
        f"seeded {summary.products:,} products, {summary.warehouses} warehouses, "
        f"{summary.customers:,} customers, {summary.orders:,} orders, {summary.carts:,} carts"
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.option(
    "--customers",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="How many customers to seed into an empty demo store.",
)
def demo(host: str, port: int, customers: int) -> None:
    """Create, seed and serve a demo store, with jobs running in this process."""
    settings = _settings(redis_url="")
    database = db.configure(settings)
    migrate.upgrade(database.engine)
    if _is_empty(database):
        click.echo(_describe(_seed(database, customers=customers, orders=None, seed=42)))
    with database.session() as session:
        try:
            create_user(session, DEMO_USER, role=Role.ADMIN, password=DEMO_PASSWORD)
            session.commit()
        except UserExists:
            session.rollback()
        install_defaults(session)
        # Segments for the admin and the win-back trigger, as a daily `shopcore rfm` would.
        recompute_rfm(
            session,
            mode=settings.rfm_mode,
            thresholds=thresholds_from(settings),
            zone=settings.zone,
        )
        session.commit()
    start_ticker(database, settings)
    app = create_app(settings)
    url = f"http://{host}:{port}/admin/"
    click.echo(f"Shopcore demo on {url}  (database: {database.engine.url.render_as_string()})")
    click.echo(f"sign in as {DEMO_USER} / {DEMO_PASSWORD}")
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the admin and the API with gunicorn (the production web server)."""
    settings = _settings()
    _database(settings).engine.dispose()
    serve_with_gunicorn(settings, host=host, port=port, workers=workers)


@main.command()
@click.option("--burst", is_flag=True, help="Work off what is queued, then exit.")
def worker(burst: bool) -> None:
    """Run an RQ worker on Shopcore's queues, with the trigger scheduler every few seconds."""
    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException(
            "shopcore worker needs SHOPCORE_REDIS_URL; without it jobs run in the web process"
        )
    database = _database(settings)
    if burst:
        # Enroll and queue what is due now, so that the burst works it off before exiting.
        started = time.perf_counter()
        report = tick(database, settings)
        click.echo(
            f"scheduler pass: {sum(report.enrolled.values())} enrolled, {report.claimed} due "
            f"steps queued in {report.batches} batches ({time.perf_counter() - started:.1f} s)"
        )
    else:
        start_ticker(database, settings)
    run_worker(settings, burst=burst)


@main.command()
@click.option(
    "--export",
    "export_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write email,r,f,m,segment for every customer to this CSV file.",
)
def rfm(export_path: Path | None) -> None:
    """Recompute RFM scores and segments (SHOPCORE_RFM_MODE: quintile or thresholds)."""
    settings = _settings()
    with _database(settings).session() as session:
        summary = recompute_rfm(
            session,
            mode=settings.rfm_mode,
            thresholds=thresholds_from(settings),
            zone=settings.zone,
        )
        click.echo(summary.describe())
        if export_path is not None:
            with export_path.open("w", newline="", encoding="utf-8") as out:
                count = export_rfm(session, out)
            click.echo(f"exported {count:,} customers to {export_path}")


@main.group()
def stock() -> None:
    """Stock levels and their ledger."""


@stock.command("check")
def stock_check() -> None:
    """Rebuild stock figures from the movement ledger and report any drift (exit 1)."""
    with _session() as session:
        drift = find_drift(session)
        levels = session.scalar(select(func.count(StockLevel.id))) or 0
    for found in drift:
        click.echo(found.describe(), err=True)
    click.echo(f"{levels:,} stock levels checked, {len(drift)} with drift")
    if drift:
        sys.exit(1)


@main.group()
def deliveries() -> None:
    """Webhook deliveries the stores sent."""


@deliveries.command("replay")
@click.argument("delivery_id", type=int)
def deliveries_replay(delivery_id: int) -> None:
    """Process a rejected webhook delivery again; exit 1 if it is rejected again."""
    settings = _settings()
    database = _database(settings)
    try:
        receipt = replay_delivery(database, delivery_id, region=settings.phone_region)
    except (DeliveryNotFound, NotReplayable) as e:
        raise click.ClickException(str(e)) from e
    if receipt.rejection is not None:
        click.echo(f"delivery {delivery_id} rejected again: {receipt.rejection.message}", err=True)
        sys.exit(1)
    click.echo(_describe_receipt(receipt))


def _describe_receipt(receipt: Receipt) -> str:
    done = [f"order {receipt.order_id}"] if receipt.order_id is not None else []
    done += [receipt.outcome] if receipt.outcome else []
    text = f"delivery {receipt.delivery_id} {receipt.verdict.value}"
    text += f": {', '.join(done)}" if done else ""
    return f"{text} ({receipt.note})" if receipt.note else text


main.add_command(triggers)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
