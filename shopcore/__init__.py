"""Shopcore: order processing that never oversells, and retention that brings customers back."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config.settings import Settings, load_settings, secret_key
from shopcore import db, queue

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app: database, job queue, admin and API, all from ``settings``."""
    settings = settings or load_settings()
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES / "admin"),
        static_folder=str(TEMPLATES / "static"),
    )
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SHOPCORE=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        JSON_SORT_KEYS=False,
    )
    app.extensions["shopcore.db"] = db.configure(settings)
    app.extensions["shopcore.queue"] = queue.configure(settings)

    from retention import web as retention_web
    from shopcore import admin, api, health, webhooks

    app.register_blueprint(health.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(admin.root)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(webhooks.blueprint)
    app.register_blueprint(retention_web.blueprint)
    if settings.proxy_hops:
        # Behind that many proxies, the client's address and scheme are what they forwarded:
        # the sign-in throttle counts per client, not per proxy.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
