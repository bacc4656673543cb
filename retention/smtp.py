"""Sending over SMTP: one connection per batch, and errors that say whether to try again.

``SHOPCORE_SMTP_URL`` is ``smtp://[user:password@]host[:port]`` (plain, port 25 by default)
or ``smtps://...`` (TLS from the start, port 465 by default); a user name means log in.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import Message as MimeMessage
from email.utils import parseaddr
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit

from config.settings import Settings, SettingsError

TIMEOUT_SECONDS = 30.0
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
# The server closed the connection: an idle timeout, a restart. Connect again and resend.
_DROPPED: tuple[type[BaseException], ...] = (
    smtplib.SMTPServerDisconnected,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)
# "Service not available, closing transmission channel": dropped, with a goodbye.
_CLOSING = 421


class DeliveryError(Exception):
    """A message was not handed over to the mail server."""


class RecipientRefused(DeliveryError):
    """The server refused the recipient for good (a 5xx): sending again will not help."""

    def __init__(self, recipient: str, code: int | None, reason: str) -> None:
        super().__init__(f"{recipient} refused ({code}): {reason}")
        self.recipient = recipient
        self.code = code
        self.reason = reason


class DeliveryUnavailable(DeliveryError):
    """The message could not be sent now (server down, a 4xx, our sender refused): try later."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason if code is None else f"{code}: {reason}")
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpServer:
    """Read ``smtp://`` or ``smtps://`` with an optional ``user:password@``."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise SettingsError("SHOPCORE_SMTP_URL must look like smtp://host:port")
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError as e:
        raise SettingsError(f"SHOPCORE_SMTP_URL has a bad port: {e}") from e
    return SmtpServer(
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


class SmtpSender:
    """Sends a batch over one SMTP connection, opened at the first message.

    A dropped connection is opened again once per message; a second drop in a row means
    the server is not there (DeliveryUnavailable).
    """

    def __init__(self, settings: Settings, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.server = parse_smtp_url(settings.smtp_url)
        self.timeout = timeout
        # How many connections this sender opened: a batch should need one.
        self.connections = 0
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, msg: MimeMessage, *, data: bytes | None = None) -> None:
        """Send one message, or raise RecipientRefused or DeliveryUnavailable.

        ``data`` is the message already flattened (``delivery.flatten``), for a sender that
        should spend its time talking to the server, not formatting.
        """
        recipient = str(msg.get("To", ""))
        for attempt in (1, 2):
            smtp = self._connection()
            try:
                if data is None:
                    smtp.send_message(msg)
                else:
                    sender = parseaddr(str(msg["From"]))[1]
                    smtp.sendmail(sender, [parseaddr(str(msg["To"]))[1]], data)
                return
            except _DROPPED as e:
                self._discard()
                if attempt == 2:
                    raise DeliveryUnavailable(f"the server dropped the connection: {e}") from e
            except smtplib.SMTPResponseException as e:
                if e.smtp_code != _CLOSING:
                    raise _response_error(recipient, e) from e
                self._discard()
                if attempt == 2:
                    raise _response_error(recipient, e) from e
            except smtplib.SMTPRecipientsRefused as e:
                raise _refusal(recipient, e) from e
            except smtplib.SMTPNotSupportedError as e:
                # The address needs SMTPUTF8 and this server has none: it will not change.
                raise RecipientRefused(recipient, None, str(e)) from e
            except (smtplib.SMTPException, OSError) as e:
                self._discard()
                raise DeliveryUnavailable(f"sending failed: {e}") from e

    def close(self) -> None:
        """Say goodbye to the server, if it is still there."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        server = self.server
        smtp_class = smtplib.SMTP_SSL if server.tls else smtplib.SMTP
        try:
            smtp = smtp_class(server.host, server.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryUnavailable(f"cannot connect to {server.host}:{server.port}: {e}") from e
        self.connections += 1
        try:
            smtp.ehlo_or_helo_if_needed()
            if server.username:
                smtp.login(server.username, server.password or "")
        except (smtplib.SMTPException, OSError) as e:
            smtp.close()
            raise DeliveryUnavailable(f"the server refused the greeting or login: {e}") from e
        self._smtp = smtp
        return smtp

    def _discard(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def _refusal(recipient: str, e: smtplib.SMTPRecipientsRefused) -> DeliveryError:
    # One recipient per message: its answer is the message's.
    code, reason = next(iter(e.recipients.values()), (None, b""))
    text = _text(reason)
    if code is not None and 500 <= code < 600:
        return RecipientRefused(recipient, code, text)
    return DeliveryUnavailable(f"{recipient} not accepted now: {text}", code)


def _response_error(recipient: str, e: smtplib.SMTPResponseException) -> DeliveryError:
    text = _text(e.smtp_error)
    # A 5xx after the data is this message refused for this recipient (mailbox full,
    # content policy). A refused sender is our configuration, not the customer's address.
    if isinstance(e, smtplib.SMTPDataError) and 500 <= e.smtp_code < 600:
        return RecipientRefused(recipient, e.smtp_code, text)
    return DeliveryUnavailable(f"the server answered {text}", e.smtp_code)


def _text(reason: bytes | str) -> str:
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else reason
