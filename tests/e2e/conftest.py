"""Helpers for tests that run ``shopcore`` as a real process and talk to it over HTTP."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any SHOPCORE_* settings of the developer's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPCORE_")}
    env.update(extra)
    return env


@contextmanager
def running(args: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> Iterator[None]:
    """Run ``shopcore ARGS`` until the block ends, then stop it."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "shopcore", *args], cwd=cwd, env=env, stdout=out, stderr=out
        )
        try:
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for_health(base: str, *, timeout: float, log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                return dict(json.load(response))
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise AssertionError(f"{base} did not answer within {timeout}s:\n{log.read_text()}")


class Browser:
    """A cookie-keeping HTTP client, enough to sign in to the admin and read its pages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return str(response.read().decode())

    def sign_in(self, email: str, password: str) -> str:
        page = self.get("/admin/login")
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        assert match, "the login form carries a CSRF token"
        body = urllib.parse.urlencode(
            {"csrf": match.group(1), "email": email, "password": password}
        ).encode()
        with self.opener.open(self.base + "/admin/login", data=body, timeout=30) as response:
            return str(response.read().decode())
