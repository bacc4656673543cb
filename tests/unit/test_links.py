"""Links in retention emails: signatures and the rewriting of an email's HTML; no I/O."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from retention.links import (
    click_url,
    open_pixel_url,
    sign_link,
    tracked_html,
    unsubscribe_url,
    verify_link,
)

BASE = "https://shop.example.com"
TOKEN = "tok123"
SECRET = "s3cret"


def _target_and_signature(tracked: str) -> tuple[str, str, str]:
    parts = urlsplit(tracked)
    query = parse_qs(parts.query)
    return parts.path, query["u"][0], query["s"][0]


def test_a_signature_verifies_for_its_own_token_and_url_only() -> None:
    signature = sign_link(SECRET, TOKEN, "https://shop.example.com/p/tea")
    assert verify_link(SECRET, TOKEN, "https://shop.example.com/p/tea", signature)
    assert not verify_link(SECRET, TOKEN, "https://evil.example/p/tea", signature)
    assert not verify_link(SECRET, "other", "https://shop.example.com/p/tea", signature)
    assert not verify_link("another secret", TOKEN, "https://shop.example.com/p/tea", signature)
    assert not verify_link(SECRET, TOKEN, "https://shop.example.com/p/tea", signature[:-1])
    assert not verify_link(SECRET, TOKEN, "https://shop.example.com/p/tea", "")
    assert not verify_link(SECRET, TOKEN, "https://shop.example.com/p/tea", "é\udcff")


def test_a_click_url_carries_the_target_and_its_signature() -> None:
    path, target, signature = _target_and_signature(
        click_url(BASE, TOKEN, "https://shop.example.com/p?a=1&b=2#x", SECRET)
    )
    assert path == f"/t/c/{TOKEN}"
    assert target == "https://shop.example.com/p?a=1&b=2#x"
    assert verify_link(SECRET, TOKEN, target, signature)


def test_web_links_are_routed_through_signed_click_links() -> None:
    html = (
        '<html><body><a href="https://shop.example.com/p/tea?a=1&amp;b=2">Tea</a>'
        "<A class='btn' HREF='http://other.example/x'>X</A></body></html>"
    )
    out = tracked_html(html, token=TOKEN, base_url=BASE, secret=SECRET)
    hrefs = re.findall(r'href="([^"]*)"', out, re.IGNORECASE)
    assert len(hrefs) == 2
    targets = []
    for href in hrefs:
        path, target, signature = _target_and_signature(href.replace("&amp;", "&"))
        assert path == f"/t/c/{TOKEN}"
        assert verify_link(SECRET, TOKEN, target, signature)
        targets.append(target)
    # The target is the link as the reader's browser would have read it: entities decoded.
    assert targets == ["https://shop.example.com/p/tea?a=1&b=2", "http://other.example/x"]
    assert "class='btn'" in out and ">Tea</a>" in out


def test_unsubscribe_mail_phone_and_anchor_links_stay_as_written() -> None:
    links = [
        unsubscribe_url(BASE, TOKEN),
        "mailto:help@shop.example.com",
        "tel:+4915112345678",
        "#top",
        "/relative",
        open_pixel_url(BASE, TOKEN),
    ]
    html = "<html><body>" + "".join(f'<a href="{u}">x</a>' for u in links) + "</body></html>"
    out = tracked_html(html, token=TOKEN, base_url=BASE, secret=SECRET)
    for url in links:
        assert f'href="{url}"' in out
    assert "/t/c/" not in out


def test_a_one_pixel_open_image_is_added_before_the_body_closes() -> None:
    out = tracked_html(
        "<html><body><p>Hi</p></BODY></html>", token=TOKEN, base_url=BASE, secret=SECRET
    )
    pixel = f'<img src="{BASE}/t/o/{TOKEN}.gif" width="1" height="1" alt=""'
    assert pixel in out
    assert out.index(pixel) < out.index("</BODY>")
    assert out.count("<img") == 1


def test_html_without_a_body_gets_the_pixel_at_the_end() -> None:
    out = tracked_html("<p>Hi</p>", token=TOKEN, base_url=BASE, secret=SECRET)
    assert out.startswith("<p>Hi</p><img") and out.endswith("/>")
