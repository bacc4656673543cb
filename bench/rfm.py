"""RFM recompute time: the database pass against pandas, in the same run, on PostgreSQL.

Seeds a store with `shopcore seed`'s generator (default: a million customers and five
million orders), then times:

- pandas, end to end: pull the counted orders (not cancelled, refunded or test) out of the
  database, aggregate them per customer and score them with the same rules (NTILE-style
  quintiles for R and M, the tie-preserving rule for F, the same R x F grid);
- ``recompute_rfm``: a first pass (every customer written, every first segment recorded as
  a move), a second pass on unchanged data (nothing written), and a pass after one customer
  in a hundred ordered again (the usual recompute: some customers move).

The recompute runs before pandas, so the peak RSS after it is its own; the scores after the
first two passes are compared with pandas' row by row. Goal: the recompute
takes at most half of pandas, in flat memory (the peak RSS of this process is printed after
each step). With --reuse-url the "first" pass is only a first pass on a fresh seed.

    .venv/bin/python bench/rfm.py                                   # 1M customers, 5M orders
    .venv/bin/python bench/rfm.py --customers 20000 --orders 100000
    .venv/bin/python bench/rfm.py --reuse-url postgresql://.../seeded  # measure, no seeding

It creates a scratch database on the server of --database-url and drops it afterwards.
pandas is not a dependency of Shopcore: `pip install -e '.[bench]'` to run this.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from retention.rfm import GRID
from retention.segments import recompute_rfm
from shopcore.db import Database, configure, normalize_database_url
from shopcore.migrate import upgrade
from shopcore.models import Customer
from shopcore.seed import seed_store

COUNTED_ORDERS = """
    SELECT customer_id, placed_at, total FROM orders
    WHERE customer_id IS NOT NULL AND NOT is_test AND status NOT IN ('cancelled', 'refunded')
"""


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        message = "bench/rfm.py compares against pandas: pip install -e '.[bench]'"
        raise SystemExit(message) from None
    return pandas


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = run()
    seconds = time.perf_counter() - started
    print(f"{label:<44}{seconds:>9.2f} s   peak RSS {_peak_mb():>7.0f} MB", flush=True)
    return seconds, value


def _ntile(count: int) -> Any:
    """NTILE(5) for positions 0..count-1, as SQL numbers its buckets (bigger ones first)."""
    import numpy

    q, rem = divmod(count, 5)
    i = numpy.arange(count)
    head = rem * (q + 1)
    if q == 0:
        return i + 1
    return numpy.where(i < head, i // (q + 1), rem + (i - head) // q) + 1


def pandas_rfm(url: str) -> Any:
    """The same scores as ``recompute_rfm`` in quintile mode, computed in pandas."""
    pd = _pandas()
    engine = create_engine(url)
    with engine.connect() as connection:
        orders = pd.read_sql(text(COUNTED_ORDERS), connection)
    engine.dispose()
    orders["total"] = orders["total"].astype("float64")
    per = orders.groupby("customer_id").agg(
        orders=("placed_at", "size"), spend=("total", "sum"), last=("placed_at", "max")
    )
    # Sums of float cents differ in the last bits; rounded back, equal spends tie as in SQL.
    per["spend"] = per["spend"].round(2)
    per = per.reset_index()
    n = len(per)
    per = per.sort_values(["last", "customer_id"], kind="stable")
    per["r"] = _ntile(n)
    per = per.sort_values(["spend", "customer_id"], kind="stable")
    per["m"] = _ntile(n)
    per["f"] = 1 + (5 * (per["orders"].rank(method="min").astype("int64") - 1)) // n
    grid = {10 * r + f: s.value for r, row in GRID.items() for f, s in enumerate(row, start=1)}
    per["segment"] = (10 * per["r"] + per["f"]).map(grid)
    return per.set_index("customer_id")[["r", "f", "m", "segment"]].sort_index()


def _database_scores(database: Database) -> dict[int, tuple[int, int, int, str]]:
    with database.session() as session:
        rows = session.execute(
            select(
                Customer.id, Customer.rfm_r, Customer.rfm_f, Customer.rfm_m, Customer.segment
            ).where(Customer.orders_count > 0)
        )
        return {i: (r, f, m, s) for i, r, f, m, s in rows}


def _measure(url: str) -> None:
    database = configure(url=url)
    with database.session() as session:
        customers = session.scalar(select(Customer.id).order_by(Customer.id.desc()).limit(1))
        orders = session.scalar(text("SELECT count(*) FROM orders"))
    print(f"\n{customers or 0:,} customers, {orders:,} orders, PostgreSQL")
    print(f"peak RSS before measuring: {_peak_mb():.0f} MB\n")

    def recompute() -> Any:
        with database.session() as session:
            return recompute_rfm(session)

    first_seconds, first = _timed("recompute_rfm, first pass", recompute)
    again_seconds, again = _timed("recompute_rfm, unchanged data", recompute)
    print(f"  first: {first.describe()}\n  again: {again.describe()}")
    ours = _database_scores(database)
    pandas_seconds, frame = _timed("pandas: pull orders, aggregate, score", lambda: pandas_rfm(url))
    # A week of trade: one customer in a hundred orders again (as intake would record it).
    with database.session() as session:
        session.execute(
            text(
                "UPDATE customers SET orders_count = orders_count + 1, "
                "total_spent = total_spent + 40, last_order_at = now() "
                "WHERE orders_count > 0 AND id % 100 = 7"
            )
        )
        session.commit()
    week_seconds, week = _timed("recompute_rfm, 1% of customers ordered", recompute)
    print(f"  week:  {week.describe()}")

    theirs = {
        int(i): (int(r), int(f), int(m), s)
        for i, r, f, m, s in frame.itertuples(index=True, name=None)
    }
    differ = sum(1 for i, row in theirs.items() if ours.get(i) != row) + len(
        set(ours) - set(theirs)
    )
    print(f"\nscores that differ between pandas and the database: {differ:,} of {len(ours):,}")
    runs = (("first pass", first_seconds), ("unchanged", again_seconds), ("1%", week_seconds))
    for label, seconds in runs:
        print(
            f"recompute ({label}) at {seconds / pandas_seconds:.0%} of pandas (goal: at most 50%)"
        )
    database.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse-url", help="an already seeded database: measure only")
    args = parser.parse_args()
    _pandas()
    if args.reuse_url:
        _measure(normalize_database_url(args.reuse_url))
        return

    admin_url = normalize_database_url(args.database_url)
    name = f"shopcore_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        database = configure(url=url)
        upgrade(database.engine)
        print(f"seeding {args.customers:,} customers, {args.orders:,} orders ...", file=sys.stderr)
        _timed(
            "seed",
            lambda: seed_store(
                database, customers=args.customers, orders=args.orders, seed=args.seed
            ),
        )
        database.engine.dispose()
        _measure(url)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
