"""Message tokens: the random key in a message's unsubscribe, pixel, click and NPS links."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.models import Message

# 16 random bytes are 22 URL-safe characters, within ``messages.token``'s 32.
TOKEN_BYTES = 16
# What a token may look like: safe in a URL path, a Message-ID and a header, with no escaping.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")


def new_token() -> str:
    """A fresh unguessable token for a message."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(text: str) -> bool:
    """Whether ``text`` has the shape of a token (checked before any query sees it)."""
    return _TOKEN.fullmatch(text) is not None


def message_by_token(session: Session, token: str) -> Message | None:
    """The message a token belongs to, or None (also for text that is no token at all)."""
    if not is_token(token):
        return None
    return session.scalar(select(Message).where(Message.token == token))
