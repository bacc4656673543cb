"""Running the web app under gunicorn, with several worker processes."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from config.settings import Settings
from shopcore import create_app


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Each worker builds its own app after the fork: no shared connection pools.
        return create_app(self.settings)


def serve_with_gunicorn(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until stopped, ``workers`` processes on ``host:port``."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 20,
    }
    _Gunicorn(settings, options).run()
