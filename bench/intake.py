"""Order intake throughput: `POST /api/v1/orders` through `shopcore serve` on PostgreSQL.

Measures orders per second and p50/p99 latency for two loads, each against a reference
measured in the same run at the same concurrency:

- spread: two-line orders over many SKUs (little contention);
- hot: every order takes one unit of the same SKU (all clients contend for one row).

The reference is the same order's minimal SQL transaction issued directly with psycopg:
insert the order and its lines, a guarded stock update per line, the allocation rows,
commit. It is the ceiling the service could reach if HTTP, validation, customer matching,
the movement ledger and Python cost nothing. Goals: the service reaches at least half of
the reference, and the hot SKU at least half of the spread case.

    .venv/bin/python bench/intake.py                # defaults: 4 web workers, 16 clients
    .venv/bin/python bench/intake.py --orders 4000 --clients 32 --workers 4

It creates a scratch database on the server of --database-url and drops it afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from inventory.stock import set_on_hand
from inventory.warehouses import add_warehouse
from shopcore.auth import create_token
from shopcore.db import make_engine, normalize_database_url
from shopcore.enums import Channel
from shopcore.migrate import upgrade
from shopcore.models import Product

ROOT = Path(__file__).resolve().parents[1]
HOT = "HOT-0001"
STOCK = 10_000_000


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float]
    failures: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def row(self) -> str:
        return (
            f"{self.name:<28}{self.rate:>10.0f}{self.percentile(0.5):>10.1f}"
            f"{self.percentile(0.99):>10.1f}{self.failures:>8}"
        )


def _orders(kind: str, count: int, skus: list[str], seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    orders = []
    for n in range(count):
        picked = [HOT] if kind == "hot" else rng.sample(skus, 2)
        orders.append(
            {
                "external_id": f"{kind}-{seed}-{n}",
                "channel": "online",
                "placed_at": "2026-12-01T10:00:00Z",
                "currency": "EUR",
                "customer": {"email": f"c{rng.randrange(count)}@example.com"},
                "lines": [{"sku": s, "quantity": 1, "unit_price": "4.50"} for s in picked],
            }
        )
    return orders


def _run(
    name: str,
    jobs: list[dict[str, object]],
    clients: int,
    send: Callable[[int], Callable[[dict[str, object]], bool]],
) -> Result:
    """Run ``jobs`` on ``clients`` threads, each with its own connection from ``send``."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        nonlocal failures
        do = send(index)
        mine = jobs[index::clients]
        barrier.wait()
        local, bad = [], 0
        for job in mine:
            start = time.perf_counter()
            ok = do(job)
            local.append(time.perf_counter() - start)
            bad += not ok
        with lock:
            latencies.extend(local)
            failures += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return Result(name, time.perf_counter() - start, latencies, failures)


def _http_sender(port: int, token: str) -> Callable[[int], Callable[[dict[str, object]], bool]]:
    def make(_index: int) -> Callable[[dict[str, object]], bool]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def send(order: dict[str, object]) -> bool:
            connection.request("POST", "/api/v1/orders", json.dumps(order), headers)
            response = connection.getresponse()
            response.read()
            return response.status == 201

        return send

    return make


Sender = Callable[[int], Callable[[dict[str, object]], bool]]


def _sql_sender(url: str, ids: dict[str, int], warehouse: int, source: int) -> Sender:
    """The reference: the order's minimal transaction, straight to PostgreSQL."""

    def make(_index: int) -> Callable[[dict[str, object]], bool]:
        connection = psycopg.connect(url)

        def send(order: dict[str, object]) -> bool:
            lines = order["lines"]
            assert isinstance(lines, list)
            with connection.transaction(), connection.cursor() as cur:
                cur.execute(
                    "INSERT INTO orders (source_id, channel, external_id, status, placed_at,"
                    " currency, subtotal, total, is_test, created_at, updated_at) VALUES"
                    " (%s, 'online', %s, 'allocated', now(), 'EUR', 9, 9, false, now(), now())"
                    " RETURNING id",
                    (source, order["external_id"]),
                )
                (order_id,) = cur.fetchone() or (0,)
                for line in lines:
                    product = ids[line["sku"]]
                    cur.execute(
                        "INSERT INTO order_lines (order_id, product_id, sku, quantity,"
                        " unit_price, total, status) VALUES (%s, %s, %s, 1, 4.5, 4.5,"
                        " 'allocated') RETURNING id",
                        (order_id, product, line["sku"]),
                    )
                    (line_id,) = cur.fetchone() or (0,)
                    cur.execute(
                        "UPDATE stock_levels SET allocated = allocated + 1 WHERE product_id = %s"
                        " AND warehouse_id = %s AND on_hand - allocated >= 1",
                        (product, warehouse),
                    )
                    if cur.rowcount != 1:
                        raise RuntimeError("out of stock in the reference")
                    cur.execute(
                        "INSERT INTO allocations (order_id, order_line_id, product_id,"
                        " warehouse_id, quantity, status, created_at) VALUES"
                        " (%s, %s, %s, %s, 1, 'active', now())",
                        (order_id, line_id, product, warehouse),
                    )
            return True

        return send

    return make


def _prepare(url: str, skus: int) -> tuple[dict[str, int], int, int, str]:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        warehouse = add_warehouse(
            session, "FC", name="Fulfilment", priority=10, channels=[Channel.ONLINE]
        )
        products = [
            Product(
                sku=f"SKU-{n:04d}", name=f"Product {n}", price=Decimal("4.50"), category="bench"
            )
            for n in range(skus)
        ] + [Product(sku=HOT, name="Hot", price=Decimal("4.50"), category="bench")]
        session.add_all(products)
        session.flush()
        for product in products:
            set_on_hand(session, product.id, warehouse.id, STOCK)
        token = create_token(session, "bench")
        session.execute(
            text("INSERT INTO sources (name, platform, created_at) VALUES ('sql', 'api', now())")
        )
        session.commit()
        ids = {p.sku: p.id for p in products}
        source = session.execute(text("SELECT id FROM sources WHERE name = 'sql'")).scalar_one()
        warehouse_id = warehouse.id
    engine.dispose()
    return ids, warehouse_id, source, token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, workers: int, redis_url: str | None) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPCORE_")}
    env.update(SHOPCORE_DATABASE_URL=url, SHOPCORE_SECRET_KEY="bench")
    if redis_url:
        env["SHOPCORE_REDIS_URL"] = redis_url
    server = subprocess.Popen(
        [sys.executable, "-m", "shopcore", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("shopcore serve did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--skus", type=int, default=200)
    args = parser.parse_args()

    admin_url = normalize_database_url(args.database_url)
    name = f"shopcore_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    server = None
    try:
        ids, warehouse, source, token = _prepare(url, args.skus)
        skus = [s for s in ids if s != HOT]
        server, port = _serve(url, args.workers, args.redis_url or None)
        results = []
        for kind in ("spread", "hot"):
            service = _run(
                f"service {kind}",
                _orders(kind, args.orders, skus, 1),
                args.clients,
                _http_sender(port, token),
            )
            reference = _run(
                f"reference SQL {kind}",
                _orders(kind, args.orders, skus, 2),
                args.clients,
                _sql_sender(plain_url, ids, warehouse, source),
            )
            results.append((kind, service, reference))
        print(
            f"\n{args.orders} orders per run, {args.clients} clients, "
            f"{args.workers} web workers, PostgreSQL\n"
        )
        print(f"{'run':<28}{'orders/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'failed':>8}")
        for _, service, reference in results:
            print(service.row())
            print(reference.row())
        spread, hot = results[0][1], results[1][1]
        print()
        for kind, service, reference in results:
            print(
                f"{kind}: service at {service.rate / reference.rate:.0%} of the reference "
                "(goal: at least 50%)"
            )
        print(f"hot SKU at {hot.rate / spread.rate:.0%} of the spread case (goal: at least 50%)")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
