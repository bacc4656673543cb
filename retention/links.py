"""The links a retention email carries: unsubscribe, open pixel, signed clicks, NPS answers.

Click links are signed (HMAC-SHA256 over the token and the target) so that ``/t/c/`` only
ever redirects to a target Shopcore itself put in an email: never an open redirect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html as html_lib
import re
from urllib.parse import urlencode

# Signatures use a key of their own, derived from the app secret, so that a click signature
# can never stand in for a session cookie's or the other way round.
_PURPOSE = b"shopcore.retention.click-link"
_ANCHOR_HREF = re.compile(
    r"""(<a\b[^>]*?\shref\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE | re.DOTALL
)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def unsubscribe_url(base_url: str, token: str) -> str:
    return f"{_root(base_url)}/u/{token}"


def open_pixel_url(base_url: str, token: str) -> str:
    return f"{_root(base_url)}/t/o/{token}.gif"


def nps_url(base_url: str, token: str, score: int) -> str:
    return f"{_root(base_url)}/nps/{token}/{score}"


def click_url(base_url: str, token: str, url: str, secret: str) -> str:
    """The tracked form of ``url``: through ``/t/c/<token>``, signed so it cannot be altered."""
    query = urlencode({"u": url, "s": sign_link(secret, token, url)})
    return f"{_root(base_url)}/t/c/{token}?{query}"


def sign_link(secret: str, token: str, url: str) -> str:
    """The signature of a click link: URL-safe base64 of HMAC-SHA256 over token and target."""
    # A token never holds a newline, so "token\nurl" reads back one way only.
    digest = hmac.new(_link_key(secret), f"{token}\n{url}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify_link(secret: str, token: str, url: str, signature: str) -> bool:
    """Whether ``signature`` is the one Shopcore made for this token and target."""
    expected = sign_link(secret, token, url)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def tracked_html(html: str, *, token: str, base_url: str, secret: str) -> str:
    """Route the email's web links through signed click links and add a 1x1 open pixel.

    Links other than absolute http(s) ones (mailto:, tel:, anchors) stay as written, and so
    do Shopcore's own unsubscribe, tracking and survey links: a mail client's one-click
    unsubscribe must reach ``/u/`` directly, a survey answer is recorded by its own page, and a
    tracked link is never wrapped twice.
    """
    own = tuple(f"{_root(base_url)}{path}" for path in ("/u/", "/t/", "/nps/"))

    def rewrite(match: re.Match[str]) -> str:
        prefix, quoted = match.group(1), match.group(2)
        url = html_lib.unescape(quoted.strip("\"'")).strip()
        if not url.lower().startswith(("http://", "https://")) or url.startswith(own):
            return match.group(0)
        tracked = click_url(base_url, token, url, secret)
        return f'{prefix}"{html_lib.escape(tracked, quote=True)}"'

    rewritten = _ANCHOR_HREF.sub(rewrite, html)
    pixel = (
        f'<img src="{html_lib.escape(open_pixel_url(base_url, token), quote=True)}" '
        'width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px;overflow:hidden" />'
    )
    ends = list(_BODY_END.finditer(rewritten))
    if not ends:
        return rewritten + pixel
    at = ends[-1].start()
    return rewritten[:at] + pixel + rewritten[at:]


def _root(base_url: str) -> str:
    return base_url.rstrip("/")


def _link_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
