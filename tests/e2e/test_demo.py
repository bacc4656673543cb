"""``shopcore demo`` with no settings at all: a seeded store, served, with merged customers."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from shopcore.cli import DEMO_PASSWORD, DEMO_USER
from shopcore.migrate import head_revision
from tests.e2e.conftest import Browser, clean_env, free_port, running, wait_for_health


def test_the_demo_seeds_serves_and_shows_customers_merged_across_channels(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "demo.log"
    with running(
        ["demo", "--port", str(port), "--customers", "400"], cwd=tmp_path, env=clean_env(), log=log
    ):
        health = wait_for_health(base, timeout=120, log=log)
        assert health["database"] == {"ok": True, "backend": "sqlite", "revision": head_revision()}
        assert health["queue"] == {"backend": "in-process", "ok": True}

        browser = Browser(base)
        overview = browser.sign_in(DEMO_USER, DEMO_PASSWORD)
        assert "Orders by channel" in overview
        for channel in ("online", "retail", "wholesale"):
            assert f"<td>{channel}</td>" in overview

        database = sqlite3.connect(tmp_path / "instance" / "shopcore.sqlite3")
        (customer_id,) = database.execute(
            """SELECT o.customer_id FROM orders o JOIN customer_identities i
               ON i.customer_id = o.customer_id AND i.first_seen_raw <> i.value
               GROUP BY o.customer_id HAVING COUNT(DISTINCT o.channel) = 3 LIMIT 1"""
        ).fetchone()
        page = browser.get(f"/admin/customers/{customer_id}")
        for channel in ("online", "retail", "wholesale"):
            assert f'<span class="tag">{channel}</span>' in page
        spellings = re.findall(r"<code>([^<]*)</code>", page)
        assert any(s and s != s.strip().lower() for s in spellings), spellings

    assert f"sign in as {DEMO_USER} / {DEMO_PASSWORD}" in log.read_text()
    assert f"http://127.0.0.1:{port}/admin/" in log.read_text()


def test_a_second_demo_start_keeps_the_store_it_made(tmp_path: Path) -> None:
    for _ in range(2):
        port = free_port()
        log = tmp_path / "demo.log"
        with running(
            ["demo", "--port", str(port), "--customers", "50"],
            cwd=tmp_path,
            env=clean_env(),
            log=log,
        ):
            wait_for_health(f"http://127.0.0.1:{port}", timeout=120, log=log)
    assert "seeded" not in log.read_text()
    database = sqlite3.connect(tmp_path / "instance" / "shopcore.sqlite3")
    assert database.execute("SELECT COUNT(*) FROM customers").fetchone() == (50,)
