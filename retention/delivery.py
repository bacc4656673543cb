"""Delivering retention emails: composing the MIME message and handing it to a sender.

A send job builds an ``OutgoingEmail`` (its HTML already through ``tracked_html``), calls
``compose`` and sends its batch through one sender from ``open_sender``:

    with open_sender(settings, session) as sender:
        for email in batch:
            sender.send(compose(email, settings))

``SmtpSender`` talks to the relay in ``SHOPCORE_SMTP_URL``; without one, ``OutboxSender``
keeps each message in the outbox table for the admin to show (the embedded default). A test
send from the template editor carries ``TEST_HEADER`` and has no message row: the outbox keeps
it without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from retention.links import unsubscribe_url
from retention.models import Message, OutboxEmail
from retention.smtp import DeliveryError, DeliveryUnavailable, RecipientRefused, SmtpSender
from retention.tokens import is_token
from retention.vocabulary import TriggerKind
from shopcore.db import utcnow

__all__ = [
    "DeliveryError",
    "DeliveryUnavailable",
    "HeaderInjection",
    "InvalidAddress",
    "OutboxSender",
    "OutgoingEmail",
    "RecipientRefused",
    "Sender",
    "SmtpSender",
    "TEST_HEADER",
    "UnsendableEmail",
    "compose",
    "message_token",
    "open_sender",
]

# Marks a test send (the template editor's "send a test to me"): no message row behind it.
TEST_HEADER = "X-Shopcore-Test"
# Everything str.splitlines() breaks on (the email package's own test), and NUL.
_LINE_BREAK = re.compile(r"[\r\n\x00\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


class UnsendableEmail(ValueError):
    """The email cannot be composed as given; sending it again will not help."""


class HeaderInjection(UnsendableEmail):
    """A header value holds a line break: it would add headers of its own."""

    def __init__(self, header: str, value: str) -> None:
        super().__init__(f"the {header} header may not contain line breaks: {value!r}")
        self.header = header


class InvalidAddress(UnsendableEmail):
    """An address that is not a single plain ``local@domain``."""

    def __init__(self, header: str, value: str) -> None:
        super().__init__(f"the {header} address is not a valid email address: {value!r}")
        self.header = header
        self.address = value


@dataclass(frozen=True)
class OutgoingEmail:
    """One rendered email for one message row, ready to compose."""

    message_id: int
    token: str
    to: str
    subject: str
    html: str
    text: str
    kind: TriggerKind


def compose(
    email: OutgoingEmail, settings: Settings, *, now: datetime | None = None
) -> EmailMessage:
    """The MIME message: text and HTML alternatives, with one-click unsubscribe headers."""
    for header, value in (
        ("Subject", email.subject),
        ("To", email.to),
        ("From", settings.mail_from),
        ("From", settings.shop_name),
    ):
        if _LINE_BREAK.search(value):
            raise HeaderInjection(header, value)
    if not is_token(email.token):
        raise UnsendableEmail(f"not a message token: {email.token!r}")
    sender = _address("From", settings.mail_from, display_name=settings.shop_name)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = _address("To", email.to)
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(now or utcnow())
    # From the token, so a message sent again after a crash keeps its Message-ID and the
    # receiving side can tell it is the same one.
    msg["Message-ID"] = f"<{email.token}@{sender.domain}>"
    # RFC 8058 one-click unsubscribe: the mail client POSTs "List-Unsubscribe=One-Click"
    # to this URL. Gmail and Yahoo require it (over https) from bulk senders.
    msg["List-Unsubscribe"] = f"<{unsubscribe_url(settings.base_url, email.token)}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["X-Shopcore-Trigger"] = TriggerKind(email.kind).value
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


def message_token(msg: EmailMessage) -> str:
    """The token of a message ``compose`` made, read back from its Message-ID."""
    message_id = str(msg.get("Message-ID", "")).strip().strip("<>")
    token = message_id.rpartition("@")[0]
    if not is_token(token):
        raise UnsendableEmail(f"not a Shopcore Message-ID: {message_id!r}")
    return token


class Sender(Protocol):
    """Sends a batch of messages; used as a context manager around the batch."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def send(self, msg: EmailMessage) -> None:
        """Send one message, or raise RecipientRefused or DeliveryUnavailable."""
        ...


class OutboxSender:
    """Keeps each message in the outbox table instead of sending it; the caller commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def send(self, msg: EmailMessage) -> None:
        token = message_token(msg)
        message_id = self.session.scalar(select(Message.id).where(Message.token == token))
        if message_id is None and msg.get(TEST_HEADER):
            self.session.add(OutboxEmail(message_id=None, raw=msg.as_string()))
            self.session.flush()
            return
        if message_id is None:
            raise UnsendableEmail(f"no message has the token {token!r}")
        raw = msg.as_string()
        # A message sent again (the recovery pass) replaces its copy rather than adding one.
        kept = self.session.scalar(select(OutboxEmail).where(OutboxEmail.message_id == message_id))
        if kept is None:
            self.session.add(OutboxEmail(message_id=message_id, raw=raw))
        else:
            kept.raw = raw
        self.session.flush()


def open_sender(settings: Settings, session: Session) -> Sender:
    """SMTP when ``SHOPCORE_SMTP_URL`` is set, else the outbox on ``session``."""
    if settings.smtp_url:
        return SmtpSender(settings)
    return OutboxSender(session)


def _address(header: str, value: str, *, display_name: str = "") -> Address:
    try:
        address = Address(display_name=display_name, addr_spec=value.strip())
    except (ValueError, IndexError, MessageError) as e:
        raise InvalidAddress(header, value) from e
    if not address.username or not address.domain:
        raise InvalidAddress(header, value)
    return address
