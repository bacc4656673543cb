"""Webhook sources: the stores that send orders, each under a name in its webhook URL."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopcore.enums import WEBHOOK_PLATFORMS, Platform
from shopcore.models import Source

# A name is the last part of its webhook URL, /webhooks/<name>: kept to what needs no quoting.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class SourceExists(ValueError):
    """A source with that name exists."""


class InvalidSource(ValueError):
    """A source that could not receive webhooks: a bad name, platform or secret."""


def add_source(session: Session, name: str, *, platform: Platform, secret: str) -> Source:
    """Add a webhook source that receives orders at /webhooks/<name>; the caller commits."""
    if not NAME.fullmatch(name):
        raise InvalidSource(f"a source name is letters, digits, '.', '_' and '-': {name!r}")
    if platform not in WEBHOOK_PLATFORMS:
        raise InvalidSource(f"{platform.value} sources do not send webhooks")
    if not secret:
        raise InvalidSource("a webhook source needs its signing secret")
    if session.scalar(select(Source.id).where(Source.name == name)) is not None:
        raise SourceExists(name)
    source = Source(name=name, platform=platform, secret=secret)
    session.add(source)
    return source


def webhook_path(source: Source) -> str:
    """Where the source's store sends its webhooks, below the shop's base URL."""
    return f"/webhooks/{source.name}"
