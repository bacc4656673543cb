"""Settings read from the environment (``SHOPCORE_*``), one module for web and workers.

Layers, lowest first: the defaults below, then the environment, then explicit overrides
(the tests' or a command's own flags).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "SHOPCORE_"


class SettingsError(ValueError):
    """A setting has a value Shopcore cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything Shopcore reads from its environment; all of it optional for the demo."""

    database_url: str = ""
    redis_url: str = ""
    smtp_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    timezone: str = "UTC"
    quiet_hours: str = "21:00-08:00"
    phone_region: str = "DE"
    instance_path: str = "instance"
    # Where availability changes are POSTed (``stock.available``); empty for nowhere.
    stock_webhook_url: str = ""
    # Signs those POSTs; its own secret, since it is shared with the receiving store.
    stock_webhook_secret: str = ""
    # RFM scoring: ``quintile`` (relative to the other customers) or ``thresholds`` (the
    # absolute cut points below, four each, for scores 2, 3, 4 and 5).
    rfm_mode: str = "quintile"
    rfm_recency_days: str = "30,90,180,365"
    rfm_orders: str = "2,3,5,10"
    rfm_spend: str = "50,150,400,1000"
    # Retention emails: who they come from, the shop they speak for, and how often.
    mail_from: str = "shop@example.com"
    shop_name: str = "Shopcore demo shop"
    shop_url: str = "https://shop.example.com"
    # The currency product prices are kept in.
    currency: str = "EUR"
    # At most this many marketing emails per customer in this many days, across triggers.
    frequency_cap: int = 3
    frequency_days: int = 7
    # An order within this many days of a human click is attributed to the message.
    attribution_days: int = 5
    # How often ``shopcore worker`` runs a scheduler pass, and how long a claimed step may
    # wait for its send job before a pass hands it out again (the job may have been lost).
    tick_seconds: int = 30
    claim_timeout_seconds: int = 600
    # Steps a send job handles over one SMTP connection.
    send_batch: int = 500
    # Reverse proxies in front of the web server whose X-Forwarded-For/-Proto to trust.
    proxy_hops: int = 0

    @property
    def instance_dir(self) -> Path:
        return Path(self.instance_path).resolve()

    @property
    def effective_database_url(self) -> str:
        """The configured database, or the embedded SQLite file under the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_dir / 'shopcore.sqlite3'}"

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        """The quiet hours as (start, end), or None when there are none."""
        return parse_quiet_hours(self.quiet_hours)


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """Parse ``HH:MM-HH:MM`` (the window may cross midnight); empty means no quiet hours."""
    text = text.strip()
    if not text:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-", 1))
    except ValueError as e:
        raise SettingsError(f"quiet hours must look like 21:00-08:00, not {text!r}") from e
    return start, end


RFM_MODES = ("quintile", "thresholds")


def parse_cut_points(text: str, name: str, *, whole: bool = False) -> tuple[Decimal, ...]:
    """Parse four ascending positive cut points like ``30,90,180,365``; ``whole``: no fractions."""
    try:
        cuts = tuple(Decimal(part.strip()) for part in text.split(","))
    except InvalidOperation as e:
        raise SettingsError(f"{name} must be numbers like 30,90,180,365, not {text!r}") from e
    finite = all(cut.is_finite() for cut in cuts)
    ascending = finite and all(a < b for a, b in zip(cuts, cuts[1:], strict=False))
    if len(cuts) != 4 or not ascending or cuts[0] <= 0:
        raise SettingsError(f"{name} needs four ascending positive numbers, not {text!r}")
    if whole and any(cut != cut.to_integral_value() for cut in cuts):
        raise SettingsError(f"{name} needs whole numbers, not {text!r}")
    return cuts


def _validate(settings: Settings) -> Settings:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise SettingsError(f"unknown time zone {settings.timezone!r}") from e
    parse_quiet_hours(settings.quiet_hours)
    if settings.rfm_mode not in RFM_MODES:
        raise SettingsError(
            f"SHOPCORE_RFM_MODE must be quintile or thresholds, not {settings.rfm_mode!r}"
        )
    parse_cut_points(settings.rfm_recency_days, "SHOPCORE_RFM_RECENCY_DAYS", whole=True)
    parse_cut_points(settings.rfm_orders, "SHOPCORE_RFM_ORDERS", whole=True)
    parse_cut_points(settings.rfm_spend, "SHOPCORE_RFM_SPEND")
    if settings.smtp_url and not settings.smtp_url.startswith(("smtp://", "smtps://")):
        raise SettingsError("SHOPCORE_SMTP_URL must look like smtp://host:port")
    for name in _INTEGERS:
        if getattr(settings, name) < 0:
            raise SettingsError(f"{PREFIX}{name.upper()} must not be negative")
    if settings.tick_seconds < 1 or settings.send_batch < 1:
        raise SettingsError("SHOPCORE_TICK_SECONDS and SHOPCORE_SEND_BATCH must be at least 1")
    if settings.stock_webhook_url:
        if not settings.stock_webhook_url.startswith(("http://", "https://")):
            raise SettingsError("SHOPCORE_STOCK_WEBHOOK_URL must be an http:// or https:// URL")
        if not settings.stock_webhook_secret:
            raise SettingsError("SHOPCORE_STOCK_WEBHOOK_URL needs SHOPCORE_STOCK_WEBHOOK_SECRET")
    return settings


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated once and kept in the instance folder."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.instance_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, then ``SHOPCORE_*`` variables, then ``overrides``."""
    env = os.environ if environ is None else environ
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {
        name: env[PREFIX + name.upper()] for name in names if PREFIX + name.upper() in env
    }
    unknown = set(overrides) - names
    if unknown:
        raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    for name in _INTEGERS:
        if isinstance(values.get(name), str):
            try:
                values[name] = int(values[name])
            except ValueError as e:
                raise SettingsError(f"{PREFIX}{name.upper()} must be a whole number") from e
    return _validate(Settings(**values))


_INTEGERS = tuple(f.name for f in fields(Settings) if f.type in (int, "int"))
