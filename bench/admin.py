"""Admin page times at two store sizes, in the same run, on PostgreSQL.

Seeds two stores with `shopcore seed`'s generator (default: 10,000 and 100,000 customers,
about 2.5 orders each), recomputes RFM so that every customer has a segment, installs the
standard triggers, then times admin pages through Flask's test client, signed in as a
manager: the dashboard (/admin/), one customer's page and the segment grid (/admin/segments)
by default. Each page is requested twice untimed, then timed several times; the rounds
alternate between the stores so that a busy moment on the machine hits both. Printed: the
median and the fastest time per page and store, and the ratio of the larger store's median
to the smaller's. Goal: the 100k store within 1.5x of the 10k store on every page. With
--queries, each page's slowest SQL statements follow, timed on both stores, to show which
query grows with the store.

    .venv/bin/python bench/admin.py
    .venv/bin/python bench/admin.py --queries      # and the slowest statements per page
    .venv/bin/python bench/admin.py --repeat 15 --page /admin/customers --page /admin/results
    .venv/bin/python bench/admin.py --keep         # leave the databases, print their URLs
    .venv/bin/python bench/admin.py --reuse-url postgresql://.../small --reuse-url ...large

The customer page is for one customer of the same shape in both stores (the lowest id with
five orders); `{customer}` in a --page path stands for that id.

It creates scratch databases on the server of --database-url and drops them afterwards
(unless --keep).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import make_url

from config.settings import load_settings
from retention.defaults import install_defaults
from retention.segments import recompute_rfm
from shopcore import create_app
from shopcore.auth import create_user
from shopcore.db import Database, configure, normalize_database_url
from shopcore.enums import Role
from shopcore.migrate import upgrade
from shopcore.models import Customer
from shopcore.seed import seed_store

PAGES = ("/admin/", "/admin/customers/{customer}", "/admin/segments")
USER, PASSWORD = "bench@shop.example", "bench-password-1"
GOAL = 1.5
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Store:
    label: str
    url: str
    client: FlaskClient
    customer: int


@contextmanager
def scratch_database(admin_url: str, *, keep: bool = False) -> Iterator[str]:
    """A new, empty database on the server of ``admin_url``, dropped afterwards unless kept."""
    name = f"shopcore_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def prepare(url: str, customers: int, seed: int) -> None:
    """Migrate and seed an empty store; RFM scores, segments, standard triggers, a manager."""
    database = configure(url=url)
    upgrade(database.engine)
    started = time.perf_counter()
    summary = seed_store(database, customers=customers, seed=seed)
    seeded = time.perf_counter() - started
    with database.session() as session:
        recompute_rfm(session)
        install_defaults(session)
        create_user(session, USER, role=Role.MANAGER, password=PASSWORD)
        session.commit()
    # What autovacuum does after a bulk load: planner statistics and the visibility map.
    # Outside a transaction: VACUUM refuses one, and a rolled-back ANALYZE keeps nothing.
    autocommit = database.engine.execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    print(
        f"seeded {summary.customers:,} customers, {summary.orders:,} orders in {seeded:.0f} s, "
        "segments recomputed",
        file=sys.stderr,
        flush=True,
    )
    database.engine.dispose()


def open_store(url: str) -> Store:
    """The admin app on ``url`` and a test client signed in as the bench's manager."""
    settings = load_settings(environ={}, database_url=url, secret_key="bench")
    # create_app also points the process at this database; the admin's pages read through
    # the app's own, so several apps side by side each keep to their store.
    app = create_app(settings)
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    found = _CSRF.search(page)
    assert found, "the login form carries a CSRF token"
    answer = client.post(
        "/admin/login", data={"csrf": found.group(1), "email": USER, "password": PASSWORD}
    )
    assert answer.status_code == 302, f"sign-in failed: {answer.status_code}"
    database: Database = app.extensions["shopcore.db"]
    with database.session() as session:
        customer = session.scalar(
            select(func.min(Customer.id)).where(Customer.orders_count == 5)
        ) or session.scalar(select(func.min(Customer.id)))
        customers = session.scalar(select(func.count(Customer.id))) or 0
    return Store(f"{customers / 1000:g}k customers", url, client, int(customer or 0))


def time_page(store: Store, path: str) -> float:
    started = time.perf_counter()
    response = store.client.get(path.format(customer=store.customer))
    seconds = time.perf_counter() - started
    assert response.status_code == 200, f"{store.label} {path}: {response.status_code}"
    return seconds


def measure(stores: list[Store], pages: list[str], *, repeat: int) -> None:
    times: dict[tuple[str, str], list[float]] = {(s.label, p): [] for s in stores for p in pages}
    for store in stores:
        for path in pages:
            for _ in range(2):
                time_page(store, path)
    for _ in range(repeat):
        for store in stores:
            for path in pages:
                times[store.label, path].append(time_page(store, path))

    small, large = stores[0].label, stores[-1].label
    print(f"\nmedian (fastest) of {repeat} warm requests, milliseconds\n")
    print(f"{'page':<32}" + "".join(f"{s.label:>22}" for s in stores) + f"{'ratio':>9}")
    worst = 0.0
    for path in pages:
        cells = ""
        for store in stores:
            taken = times[store.label, path]
            cells += f"{statistics.median(taken) * 1000:>12.1f} ({min(taken) * 1000:>6.1f})  "
        ratio = statistics.median(times[large, path]) / statistics.median(times[small, path])
        worst = max(worst, ratio)
        print(f"{path:<32}{cells}{ratio:>8.2f}x")
    verdict = "met" if worst <= GOAL else "not met"
    print(f"\ngoal, {large} within {GOAL}x of {small} on every page: {verdict}", end="")
    print(f" (worst {worst:.2f}x)")


def statement_times(store: Store, path: str) -> dict[str, float]:
    """Seconds per SQL statement text (summed) during one warm request of ``path``."""
    engine = store.client.application.extensions["shopcore.db"].engine
    taken: dict[str, float] = {}

    def before(conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - conn.info.pop("bench_started")
        taken[statement] = taken.get(statement, 0.0) + seconds

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        time_page(store, path)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return taken


def print_statements(stores: list[Store], pages: list[str], *, top: int = 5) -> None:
    """The slowest statements of each page on the largest store, beside the smallest's."""
    small, large = stores[0], stores[-1]
    print(f"\nslowest statements on {large.label} (milliseconds; {small.label} beside)")
    for path in pages:
        ours, theirs = statement_times(large, path), statement_times(small, path)
        print(f"\n{path}: {len(ours)} statements, {sum(ours.values()) * 1000:.1f} ms")
        for statement, seconds in sorted(ours.items(), key=lambda kv: -kv[1])[:top]:
            before = theirs.get(statement, 0.0) * 1000
            shown = " ".join(statement.split())[:110]
            print(f"  {seconds * 1000:>7.1f} {before:>7.1f}  {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="10000,100000", help="customers per store, comma list")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=9, help="timed requests per page")
    parser.add_argument("--page", action="append", help="an admin path (default: the three)")
    parser.add_argument(
        "--queries", action="store_true", help="also print each page's slowest statements"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases, print URLs")
    parser.add_argument(
        "--reuse-url", action="append", help="an already prepared store (smallest first)"
    )
    args = parser.parse_args()
    pages = args.page or list(PAGES)

    with ExitStack() as stack:
        if args.reuse_url:
            urls = [normalize_database_url(u) for u in args.reuse_url]
        else:
            urls = []
            for size in (int(s) for s in args.sizes.split(",")):
                server = normalize_database_url(args.database_url)
                url = stack.enter_context(scratch_database(server, keep=args.keep))
                print(f"seeding {size:,} customers ...", file=sys.stderr, flush=True)
                prepare(url, size, args.seed)
                urls.append(url)
        stores = [open_store(url) for url in urls]
        for store in stores:
            print(f"{store.label}: customer page for #{store.customer}")
        measure(stores, pages, repeat=args.repeat)
        if args.queries:
            print_statements(stores, pages)
        if args.keep:
            print("\nkept: " + " ".join(f"--reuse-url {url}" for url in urls))
        for store in stores:
            store.client.application.extensions["shopcore.db"].engine.dispose()


if __name__ == "__main__":
    main()
