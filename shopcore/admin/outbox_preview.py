"""Showing a kept email in the admin without it doing anything: no script, no request, no link.

The HTML is served on its own URL with a policy of its own and shown in a sandboxed frame:
no script runs, nothing is fetched (remote images, the open pixel), no form is sent. Its
links are made inert, each keeping its destination as a title: following one from the
admin would count a customer's click, or record an NPS answer in their name.
"""

from __future__ import annotations

import email
import html as html_lib
import re
from dataclasses import dataclass
from email import policy
from urllib.parse import parse_qs, urlsplit

# Nothing but the message's own inline styles and data: images; framed by admin pages only.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'; sandbox"
)
PREVIEW_HEADERS = {
    "Content-Security-Policy": PREVIEW_POLICY,
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}
_HREF = re.compile(
    r"""(<(?:a|area)\b[^>]*?)\s(?:href|xlink:href)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""",
    re.IGNORECASE | re.DOTALL,
)
SHOWN_HEADERS = ("From", "To", "Subject", "Date", "X-Shopcore-Trigger", "X-Shopcore-Test")
_REFRESH = re.compile(r"<meta\b[^>]*http-equiv\s*=\s*[\"']?refresh[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    """A kept email's headers as shown, and its HTML and plain-text parts (None if absent)."""

    headers: dict[str, str]
    html: str | None
    text: str | None


def parse(raw: str) -> Parsed:
    """Read a MIME message the outbox kept."""
    message = email.message_from_string(raw, policy=policy.default)
    headers = {name: str(message[name]) for name in SHOWN_HEADERS if message[name] is not None}
    html, text = (message.get_body(preferencelist=(kind,)) for kind in ("html", "plain"))
    return Parsed(
        headers,
        str(html.get_content()) if html is not None else None,
        str(text.get_content()) if text is not None else None,
    )


def inert(html: str) -> str:
    """``html`` with every link made inert (its destination kept as a title) and no refresh."""

    def disarm(match: re.Match[str]) -> str:
        url = html_lib.unescape(match.group(2).strip("\"'"))
        title = html_lib.escape(f"Links are not followed here: {destination(url)}", quote=True)
        return f'{match.group(1)} title="{title}"'

    return _REFRESH.sub("", _HREF.sub(disarm, html))


def destination(url: str) -> str:
    """Where a link leads: a tracked click link's target, or the link itself."""
    parts = urlsplit(url)
    if "/t/c/" in parts.path:
        target = parse_qs(parts.query).get("u")
        if target:
            return target[0]
    return url
