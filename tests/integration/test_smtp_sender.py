"""Sending over SMTP to a real server (aiosmtpd, started by each test on a free port)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from config.settings import load_settings
from retention.delivery import (
    DeliveryUnavailable,
    OutgoingEmail,
    RecipientRefused,
    SmtpSender,
    compose,
)
from retention.smtp import parse_smtp_url
from retention.tokens import new_token
from retention.vocabulary import TriggerKind


@dataclass
class Mailbox:
    """What the test server received, and which recipients it refuses or defers."""

    messages: list[EmailMessage] = field(default_factory=list)
    # The client's (host, port) per message: one port is one connection.
    peers: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    defer: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        if address in self.defer:
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    mailbox: Mailbox
    controller: Controller
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop listening; open connections are cut."""
        self.controller.stop()

    def start(self) -> None:
        """Listen again on the same port."""
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    server = SmtpServer(mailbox, controller, port)
    yield server
    server.controller.stop()


def _message(to: str, url: str, subject: str = "Hello") -> EmailMessage:
    settings = load_settings(environ={}, smtp_url=url)
    email = OutgoingEmail(
        message_id=1,
        token=new_token(),
        to=to,
        subject=subject,
        html="<html><body><p>Hi</p></body></html>",
        text="Hi\n",
        kind=TriggerKind.WIN_BACK,
    )
    return compose(email, settings)


def _sender(url: str) -> SmtpSender:
    return SmtpSender(load_settings(environ={}, smtp_url=url), timeout=5)


def test_one_connection_sends_the_whole_batch(smtp_server: SmtpServer) -> None:
    recipients = [f"c{i}@example.com" for i in range(5)]
    with _sender(smtp_server.url) as sender:
        for to in recipients:
            sender.send(_message(to, smtp_server.url))
    received = smtp_server.mailbox.messages
    assert [str(m["To"]) for m in received] == recipients
    assert all(m["X-Shopcore-Trigger"] == "win_back" for m in received)
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in received)
    assert sender.connections == 1 and len(set(smtp_server.mailbox.peers)) == 1


def test_a_refused_recipient_is_named_and_the_connection_goes_on(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.mailbox.refuse.add("gone@example.com")
    with _sender(smtp_server.url) as sender:
        sender.send(_message("ann@example.com", smtp_server.url))
        with pytest.raises(RecipientRefused) as refused:
            sender.send(_message("gone@example.com", smtp_server.url))
        sender.send(_message("bob@example.com", smtp_server.url))
    assert refused.value.code == 550 and refused.value.recipient == "gone@example.com"
    assert "no such mailbox" in refused.value.reason
    assert [str(m["To"]) for m in smtp_server.mailbox.messages] == [
        "ann@example.com",
        "bob@example.com",
    ]
    assert sender.connections == 1 and len(set(smtp_server.mailbox.peers)) == 1


def test_a_deferred_recipient_is_a_temporary_failure(smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.defer.add("busy@example.com")
    with _sender(smtp_server.url) as sender:
        with pytest.raises(DeliveryUnavailable) as deferred:
            sender.send(_message("busy@example.com", smtp_server.url))
        sender.send(_message("ann@example.com", smtp_server.url))
    assert deferred.value.code == 450
    assert sender.connections == 1


def test_a_dropped_connection_is_opened_again_once(smtp_server: SmtpServer) -> None:
    with _sender(smtp_server.url) as sender:
        sender.send(_message("ann@example.com", smtp_server.url))
        smtp_server.stop()
        smtp_server.start()
        sender.send(_message("bob@example.com", smtp_server.url))
    assert [str(m["To"]) for m in smtp_server.mailbox.messages] == [
        "ann@example.com",
        "bob@example.com",
    ]
    assert sender.connections == 2


def test_a_server_gone_for_good_is_a_temporary_failure_after_one_reconnect(
    smtp_server: SmtpServer,
) -> None:
    with _sender(smtp_server.url) as sender:
        sender.send(_message("ann@example.com", smtp_server.url))
        smtp_server.stop()
        with pytest.raises(DeliveryUnavailable):
            sender.send(_message("bob@example.com", smtp_server.url))
        smtp_server.start()
    assert len(smtp_server.mailbox.messages) == 1


def test_a_server_that_is_not_there_is_a_temporary_failure() -> None:
    url = f"smtp://127.0.0.1:{_free_port()}"
    with _sender(url) as sender, pytest.raises(DeliveryUnavailable):
        sender.send(_message("ann@example.com", url))


def test_the_smtp_url_gives_host_port_tls_and_login() -> None:
    plain = parse_smtp_url("smtp://relay.example:2525")
    assert (plain.host, plain.port, plain.tls, plain.username) == (
        "relay.example",
        2525,
        False,
        None,
    )
    secure = parse_smtp_url("smtps://mailer%40shop:p%40ss@relay.example")
    assert (secure.port, secure.tls, secure.username, secure.password) == (
        465,
        True,
        "mailer@shop",
        "p@ss",
    )
