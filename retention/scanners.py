"""Telling a person's open or click from the machines that fetch every link in an email.

Security gateways (Barracuda, Mimecast, Proofpoint, Microsoft's Safe Links, ...) follow
links at delivery to check them, and chat apps and crawlers fetch previews. Counted as
clicks, they would credit a message with orders its reader never clicked through to.
Their requests are still recorded (``human`` false, with the reason) but never set a
message's ``opened_at`` or ``clicked_at``.

Judgement calls:
- Gmail fetches images through GoogleImageProxy (Yahoo through YahooMailProxy) when the
  reader opens the email: for opens that *is* the person, so it counts. A proxy never
  follows links on a reader's behalf, so on a click link it does not count.
- Apple Mail Privacy Protection prefetches images with an ordinary browser user agent and
  cannot be told apart by its request alone: its opens count. Opens are a soft signal
  for that reason; attribution relies on clicks.
- Scanners that pose as browsers are mostly caught by timing: they act within seconds of
  delivery, sooner than a person reads an email.
"""

from __future__ import annotations

import re

from retention.vocabulary import TrackKind

# A request this soon after sending is a gateway checking the message, not its reader.
SCANNER_WINDOW_SECONDS = 10.0

_SCANNERS = re.compile(
    "|".join(
        re.escape(name)
        for name in (
            "barracuda",
            "mimecast",
            "proofpoint",
            "urldefense",
            "bingpreview",
            "safelinks",
            "symantec",
            "messagelabs",
            "trend micro",
            "trendmicro",
            "sophos",
            "fireeye",
            "forcepoint",
            "ironport",
            "zscaler",
            "fortiguard",
            "check point",
            "checkpoint",
            "paloalto",
            "avanan",
            "hornetsecurity",
            "vadesecure",
            "spamtitan",
            "appriver",
            "trustwave",
            "skypeuripreview",
        )
    )
)
_BOTS = re.compile(
    "|".join(
        re.escape(name)
        for name in (
            "googlebot",
            "bingbot",
            "slackbot",
            "twitterbot",
            "linkedinbot",
            "discordbot",
            "telegrambot",
            "applebot",
            "facebookexternalhit",
            "whatsapp",
            "crawler",
            "spider",
            "headlesschrome",
            "phantomjs",
            "python-requests",
            "python-urllib",
            "curl/",
            "wget/",
            "go-http-client",
            "okhttp",
            "java/",
            "libwww-perl",
            "apache-httpclient",
            # Browsers never name a web page in their user agent; bots link their docs.
            "+http",
        )
    )
)
_IMAGE_PROXIES = re.compile("googleimageproxy|yahoomailproxy")


def classify_request(
    *,
    method: str,
    user_agent: str | None,
    seconds_since_sent: float | None,
    kind: TrackKind = TrackKind.CLICK,
) -> tuple[bool, str | None]:
    """Whether a request on a message's link or pixel is its reader, and if not, why not.

    ``seconds_since_sent`` is None when the message has no send time (nothing to compare).
    """
    if method.upper() == "HEAD":
        return False, "head_request"
    if seconds_since_sent is not None and seconds_since_sent < SCANNER_WINDOW_SECONDS:
        return False, "too_soon"
    agent = (user_agent or "").strip().lower()
    if not agent:
        return False, "no_user_agent"
    if _SCANNERS.search(agent):
        return False, "link_scanner"
    if _IMAGE_PROXIES.search(agent):
        return (True, None) if kind == TrackKind.OPEN else (False, "image_proxy")
    if _BOTS.search(agent):
        return False, "bot"
    return True, None
