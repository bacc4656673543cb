"""``shopcore serve``: gunicorn workers on PostgreSQL and Redis, answering health checks."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from tests.e2e.conftest import clean_env, free_port, running, wait_for_health


def test_serve_runs_several_workers_on_postgresql_with_redis(
    tmp_path: Path, pg_url: str, redis_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = clean_env(
        SHOPCORE_DATABASE_URL=pg_url,
        SHOPCORE_REDIS_URL=redis_url,
        SHOPCORE_SECRET_KEY="e2e-secret",
    )
    with running(["serve", "--port", str(port), "--workers", "2"], cwd=tmp_path, env=env, log=log):
        health = wait_for_health(base, timeout=60, log=log)
        assert health["status"] == "ok"
        assert health["database"]["backend"] == "postgresql"
        assert health["queue"] == {"backend": "rq", "ok": True, "queued": {"default": 0}}
        for _ in range(10):
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                assert json.load(response)["status"] == "ok"
    workers = set(re.findall(r"Booting worker with pid: (\d+)", log.read_text()))
    assert len(workers) == 2, log.read_text()
