"""Delivery rate: one Shopcore worker against a plain smtplib loop, in the same run.

Sets up abandoned carts whose first reminder is due (each cart two items, with products and
stock), then times:

- the plain loop: the same number of messages, rendered beforehand (so only sending is
  timed), sent one after another over one smtplib connection;
- Shopcore: ``shopcore worker --burst`` as a real process (RQ on Redis, forking work horses),
  from its start to its exit: the scheduler pass claims the due steps, and the send jobs
  re-check each step, read the cart, render the template, record the message and deliver
  the batch over one SMTP connection.

Both send to the same local SMTP server, run in a process of its own that discards what it
receives (aiosmtpd's Sink). Goal: Shopcore at least half of the plain loop's rate.

    .venv/bin/python bench/delivery.py                      # 5,000 messages
    .venv/bin/python bench/delivery.py --messages 20000 --batch 500

It creates a scratch database on the server of --database-url and drops it afterwards, and
starts a redis-server of its own on a free port.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import create_engine, func, select, update
from sqlalchemy.engine import make_url

from config.settings import load_settings
from inventory.stock import set_on_hand
from inventory.warehouses import add_warehouse
from retention.content import message_context
from retention.defaults import install_defaults
from retention.delivery import OutgoingEmail, compose
from retention.emails import render
from retention.models import Enrollment, EnrollmentStep, Message, Trigger
from retention.template_store import compiled, latest_versions
from retention.tokens import new_token
from retention.tracking import tracked_html
from retention.vocabulary import EnrollmentStatus, MessageStatus, StepStatus, TriggerKind
from shopcore.db import Database, configure, normalize_database_url, utcnow
from shopcore.enums import CartStatus, Channel, Platform
from shopcore.migrate import upgrade
from shopcore.models import Cart, CartItem, Customer, Product
from shopcore.orders import get_or_create_source

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _process(args: list[str], *, ready_port: int) -> Iterator[None]:
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", ready_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit(f"{args[0]} did not start")
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def _seed(database: Database, count: int) -> None:
    """``count`` customers who consented, each with a two-item cart due for a reminder."""
    now = utcnow()
    with database.session() as session:
        install_defaults(session)
        session.execute(update(Trigger).values(holdout_percent=0))
        session.execute(
            update(Trigger).where(Trigger.name != "Abandoned cart").values(enabled=False)
        )
        source = get_or_create_source(session, "storefront", Platform.API)
        warehouse = add_warehouse(session, "FC", name="FC", priority=1, channels=[Channel.ONLINE])
        products = [
            Product(
                sku=f"TEA-{i:03d}", name=f"Tea no. {i}", price=Decimal("4.50") + i, category="tea"
            )
            for i in range(20)
        ]
        session.add_all(products)
        session.flush()
        for product in products:
            set_on_hand(session, product.id, warehouse.id, 1000)
        for start in range(0, count, 1000):
            customers = [
                Customer(
                    email=f"c{i}@example.com",
                    first_name="Ann",
                    accepts_marketing=True,
                    consent_at=now,
                    consent_source="bench",
                )
                for i in range(start, min(count, start + 1000))
            ]
            session.add_all(customers)
            session.flush()
            for i, customer in enumerate(customers, start=start):
                first, second = products[i % 20], products[(i * 7 + 3) % 20]
                session.add(
                    Cart(
                        source_id=source.id,
                        external_id=f"c-{i}",
                        customer_id=customer.id,
                        status=CartStatus.OPEN,
                        currency="EUR",
                        total=first.price + second.price,
                        updated_at=now - timedelta(hours=2),
                        items=[
                            CartItem(product_id=p.id, sku=p.sku, quantity=1, unit_price=p.price)
                            for p in (first, second)
                        ],
                    )
                )
            session.flush()
        session.commit()


def _prerendered(database: Database, settings: object, count: int) -> list[EmailMessage]:
    """The messages Shopcore would send, rendered now, for the plain loop to send."""
    from config.settings import Settings

    assert isinstance(settings, Settings)
    with database.session() as session:
        trigger = session.scalars(select(Trigger).where(Trigger.name == "Abandoned cart")).one()
        version = latest_versions(session, {trigger.steps[0].template_id})[
            trigger.steps[0].template_id
        ]
        carts = list(session.scalars(select(Cart).order_by(Cart.id).limit(count)))
        messages = []
        for cart in carts:
            customer = session.get(Customer, cart.customer_id)
            assert customer is not None
            token = new_token()
            message = Message(token=token, kind=TriggerKind.ABANDONED_CART)
            enrollment = Enrollment(context={"cart_id": cart.id})
            rendered = render(
                compiled(version), message_context(session, settings, message, enrollment, customer)
            )
            html = tracked_html(
                rendered.html, token=token, base_url=settings.base_url, secret="bench"
            )
            messages.append(
                compose(
                    OutgoingEmail(
                        0,
                        token,
                        customer.email or "",
                        rendered.subject,
                        html,
                        rendered.text,
                        TriggerKind.ABANDONED_CART,
                    ),
                    settings,
                )
            )
        session.rollback()
    return messages


def _plain_loop(port: int, messages: list[EmailMessage]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for message in messages:
            smtp.send_message(message)
    return time.perf_counter() - started


def _worker(env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "shopcore", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the worker failed:\n{result.stdout}\n{result.stderr}")
    jobs = []
    for line in (result.stdout + result.stderr).splitlines():
        if line.startswith("scheduler pass"):
            print(f"  in the worker, {line}")
        if "Successfully completed" in line:
            jobs.append(line.rsplit(" in ", 1)[-1].split("s on")[0].strip())
    print(f"  send jobs: {', '.join(jobs)}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500, help="SHOPCORE_SEND_BATCH")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    admin_url = normalize_database_url(args.database_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"shopcore_bench_delivery_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        raise SystemExit("bench/delivery.py needs redis-server on the PATH")
    smtp_port, redis_port = _free_port(), _free_port()
    try:
        database = configure(url=url)
        upgrade(database.engine)
        started = time.perf_counter()
        _seed(database, args.messages)
        print(
            f"set up {args.messages:,} due abandoned carts in {time.perf_counter() - started:.1f} s"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPCORE_")}
        env.update(
            SHOPCORE_DATABASE_URL=url,
            SHOPCORE_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            SHOPCORE_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
            SHOPCORE_SEND_BATCH=str(args.batch),
            SHOPCORE_QUIET_HOURS="",
            SHOPCORE_FREQUENCY_CAP="0",
            SHOPCORE_SECRET_KEY="bench",
        )
        settings = load_settings(env)
        messages = _prerendered(database, settings, args.messages)
        sink = [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{smtp_port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ]
        with (
            tempfile.TemporaryDirectory() as workdir,
            _process(sink, ready_port=smtp_port),
            _process(
                [
                    redis_binary,
                    "--port",
                    str(redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    workdir,
                ],
                ready_port=redis_port,
            ),
        ):
            plain = _plain_loop(smtp_port, messages)
            print(
                f"plain smtplib loop : {len(messages):,} messages in {plain:.2f} s = "
                f"{len(messages) / plain:,.0f} messages/s (rendered beforehand)"
            )
            shopcore = _worker(env)
            with database.session() as session:
                sent = (
                    session.scalar(
                        select(func.count(Message.id)).where(Message.status == MessageStatus.SENT)
                    )
                    or 0
                )
                left = session.scalar(
                    select(func.count(EnrollmentStep.id)).where(
                        EnrollmentStep.position == 1, EnrollmentStep.status != StepStatus.SENT
                    )
                )
                completed = session.scalar(
                    select(func.count(Enrollment.id)).where(
                        Enrollment.status == EnrollmentStatus.ACTIVE
                    )
                )
            print(
                f"shopcore worker    : {sent:,} messages in {shopcore:.2f} s = "
                f"{sent / shopcore:,.0f} messages/s (start to exit: pass, render, record, send)"
            )
            print(f"first steps not sent: {left}; enrollments waiting for step 2: {completed:,}")
            # The loop again after the worker, so that a machine busier in one half of the run
            # than in the other does not decide the comparison.
            again = _plain_loop(smtp_port, messages)
            print(
                f"plain loop, again  : {len(messages):,} messages in {again:.2f} s = "
                f"{len(messages) / again:,.0f} messages/s"
            )
            plain = (plain + again) / 2
            ratio = (sent / shopcore) / (len(messages) / plain)
            print(f"shopcore / plain loop (mean of both) = {ratio:.0%} (goal: at least 50%)")
    finally:
        configure(url="sqlite://").engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
