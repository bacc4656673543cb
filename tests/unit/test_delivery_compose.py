"""Composing retention emails: headers, both parts, refused header injection; no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_string, policy
from email.message import EmailMessage

import pytest

from config.settings import Settings, load_settings
from retention.delivery import (
    HeaderInjection,
    InvalidAddress,
    OutgoingEmail,
    UnsendableEmail,
    compose,
    message_token,
)
from retention.vocabulary import TriggerKind

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _settings(base_url: str = "https://shop.example.com") -> Settings:
    return load_settings(
        environ={}, base_url=base_url, mail_from="hello@tea.example", shop_name="Tea & Co"
    )


def _email(**fields: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "message_id": 7,
        "token": "Tok_en-1234567890abcd",
        "to": "ann@example.com",
        "subject": "Your cart is waiting",
        "html": "<html><body><p>Hi Ann</p></body></html>",
        "text": "Hi Ann\n",
        "kind": TriggerKind.ABANDONED_CART,
    }
    values.update(fields)
    return OutgoingEmail(**values)  # type: ignore[arg-type]


def _parsed(msg: EmailMessage) -> EmailMessage:
    """The message as a receiving server reads it."""
    parsed = message_from_string(msg.as_string(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_composed_email_names_sender_recipient_subject_date_and_message_id() -> None:
    msg = _parsed(compose(_email(), _settings(), now=NOW))
    assert msg["From"].addresses[0].display_name == "Tea & Co"
    assert msg["From"].addresses[0].addr_spec == "hello@tea.example"
    assert msg["To"] == "ann@example.com"
    assert msg["Subject"] == "Your cart is waiting"
    assert msg["Date"].datetime == NOW
    assert msg["Message-ID"] == "<Tok_en-1234567890abcd@tea.example>"


def test_a_composed_email_offers_one_click_unsubscribe_and_names_its_trigger() -> None:
    msg = _parsed(compose(_email(), _settings()))
    assert msg["List-Unsubscribe"] == "<https://shop.example.com/u/Tok_en-1234567890abcd>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["X-Shopcore-Trigger"] == "abandoned_cart"


def test_the_unsubscribe_link_follows_the_base_url_scheme_without_a_doubled_slash() -> None:
    msg = compose(_email(), _settings("http://127.0.0.1:5000/"))
    assert msg["List-Unsubscribe"] == "<http://127.0.0.1:5000/u/Tok_en-1234567890abcd>"


def test_a_composed_email_has_a_text_and_an_html_alternative() -> None:
    html = "<html><body><p>Grüße, " + "long line " * 200 + "</p></body></html>"
    msg = _parsed(compose(_email(html=html, text="Grüße\n"), _settings()))
    assert msg.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part for part in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert parts["text/plain"].get_content() == "Grüße\n"
    assert parts["text/html"].get_content().rstrip("\n") == html


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Hello\r\nBcc: everyone@example.com"),
        ("subject", "Hello\nBcc: everyone@example.com"),
        ("subject", "Hello\rthere"),
        ("subject", "Hello\u2028there"),
        ("to", "ann@example.com\r\nBcc: everyone@example.com"),
        ("to", "ann@example.com\n"),
    ],
)
def test_a_line_break_in_the_subject_or_address_is_refused_as_header_injection(
    field: str, value: str
) -> None:
    with pytest.raises(HeaderInjection):
        compose(_email(**{field: value}), _settings())


def test_a_line_break_in_the_configured_sender_is_refused_too() -> None:
    settings = load_settings(environ={}, shop_name="Tea\r\nBcc: x@example.com")
    with pytest.raises(HeaderInjection):
        compose(_email(), settings)


@pytest.mark.parametrize(
    "to", ["", "ann", "ann@example.com, bob@example.com", "Ann <ann@example.com>", "a b@c.de"]
)
def test_anything_but_one_plain_address_is_refused(to: str) -> None:
    with pytest.raises(InvalidAddress):
        compose(_email(to=to), _settings())


def test_a_token_that_could_not_sit_in_a_url_or_message_id_is_refused() -> None:
    with pytest.raises(UnsendableEmail):
        compose(_email(token="a/b c"), _settings())


def test_the_token_reads_back_from_the_message_id() -> None:
    assert message_token(compose(_email(), _settings())) == "Tok_en-1234567890abcd"
