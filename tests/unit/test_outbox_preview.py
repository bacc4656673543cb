"""Kept emails made inert for the admin: no link that would count a click or an answer."""

from __future__ import annotations

from retention.links import click_url
from shopcore.admin.outbox_preview import destination, inert, parse
from tests.integration.admin_support import kept_email

BASE = "https://shop.example.com"


def test_links_lose_their_href_and_keep_their_destination_as_a_title() -> None:
    tracked = click_url(BASE, "tok", "https://shop.example.com/tea?a=1&b=2", "secret")
    html = (
        f'<a class="button" href="{tracked}" target="_blank">Tea</a>'
        "<a HREF='https://shop.example.com/u/tok'>Unsubscribe</a>"
        "<area href=https://x.example/map><a name=top>top</a>"
    )

    shown = inert(html)

    assert "href" not in shown.lower()
    assert 'title="Links are not followed here: https://shop.example.com/tea?a=1&amp;b=2"' in shown
    assert "https://shop.example.com/u/tok" in shown
    assert '<a class="button" title=' in shown and "<a name=top>" in shown


def test_a_tracked_link_leads_to_its_target() -> None:
    tracked = click_url(BASE, "tok", "https://shop.example.com/p/1", "secret")

    assert destination(tracked) == "https://shop.example.com/p/1"
    assert destination("https://elsewhere.example/") == "https://elsewhere.example/"


def test_a_kept_email_is_read_into_headers_html_and_text() -> None:
    parsed = parse(kept_email("<p>Hi</p>", "Hi there", subject="Your tea"))

    assert parsed.headers["Subject"] == "Your tea"
    assert parsed.html is not None and "<p>Hi</p>" in parsed.html
    assert parsed.text is not None and parsed.text.strip() == "Hi there"
