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
from email.generator import BytesGenerator
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.message import Message as MimeMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr
from functools import lru_cache
from io import BytesIO
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

# How ``flatten`` writes a message: as stored, lines ending in CRLF as SMTP wants them.
_WIRE = compat32.clone(linesep="\r\n")

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
) -> MimeMessage:
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
    sender = _sender(settings.mail_from, settings.shop_name)
    recipient = _address("To", email.to)
    headers = {
        "Date": format_datetime(now or utcnow()),
        # From the token, so a message sent again after a crash keeps its Message-ID and the
        # receiving side can tell it is the same one.
        "Message-ID": f"<{email.token}@{sender.domain}>",
        # RFC 8058 one-click unsubscribe: the mail client POSTs "List-Unsubscribe=One-Click"
        # to this URL. Gmail and Yahoo require it (over https) from bulk senders.
        "List-Unsubscribe": f"<{unsubscribe_url(settings.base_url, email.token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "X-Shopcore-Trigger": TriggerKind(email.kind).value,
    }
    if not (sender.addr_spec + recipient.addr_spec).isascii():
        return _international(email, sender, recipient, headers)
    # The plain (compat32) message: its headers are kept as written rather than parsed on
    # every read, which makes it several times cheaper to build and to flatten.
    msg = MIMEMultipart("alternative")
    msg["From"] = formataddr((sender.display_name, sender.addr_spec), charset="utf-8")
    msg["To"] = recipient.addr_spec
    subject = email.subject
    msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    for name, value in headers.items():
        msg[name] = value
    msg.attach(MIMEText(email.text, "plain", "utf-8"))
    msg.attach(MIMEText(email.html, "html", "utf-8"))
    return msg


def _international(
    email: OutgoingEmail, sender: Address, recipient: Address, headers: dict[str, str]
) -> EmailMessage:
    """A message to or from an address that needs SMTPUTF8, which only ``send_message`` sends."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = email.subject
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


@lru_cache(maxsize=8)
def _sender(mail_from: str, shop_name: str) -> Address:
    return _address("From", mail_from, display_name=shop_name)


def flatten(msg: MimeMessage) -> bytes | None:
    """The message as the SMTP DATA it will be sent as, or None when only ``send_message``
    can send it (an address that needs SMTPUTF8). Done ahead, it costs the sender nothing."""
    if isinstance(msg, EmailMessage):
        return None
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_WIRE).flatten(msg)
    return out.getvalue()


def message_token(msg: MimeMessage) -> str:
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

    def send(self, msg: MimeMessage, *, data: bytes | None = None) -> None:
        """Send one message (``data``: already flattened by ``flatten``), or raise
        RecipientRefused or DeliveryUnavailable."""
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

    def send(self, msg: MimeMessage, *, data: bytes | None = None) -> None:
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
