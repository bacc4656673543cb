"""Telling a reader's open or click from a link scanner's; no I/O."""

from __future__ import annotations

import pytest

from retention.scanners import SCANNER_WINDOW_SECONDS, classify_request
from retention.vocabulary import TrackKind

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)


def _classify(
    user_agent: str | None = BROWSER,
    *,
    method: str = "GET",
    seconds: float | None = 3600,
    kind: TrackKind = TrackKind.CLICK,
) -> tuple[bool, str | None]:
    return classify_request(
        method=method, user_agent=user_agent, seconds_since_sent=seconds, kind=kind
    )


@pytest.mark.parametrize("user_agent", [BROWSER, IPHONE])
def test_a_browser_an_hour_after_sending_is_a_person(user_agent: str) -> None:
    assert _classify(user_agent) == (True, None)
    assert _classify(user_agent, kind=TrackKind.OPEN) == (True, None)


def test_a_head_request_is_a_scanner_checking_the_link() -> None:
    assert _classify(method="HEAD") == (False, "head_request")


def test_a_request_within_seconds_of_sending_is_a_gateway_checking_the_message() -> None:
    assert _classify(seconds=2) == (False, "too_soon")
    assert _classify(seconds=-1) == (False, "too_soon")
    assert _classify(seconds=SCANNER_WINDOW_SECONDS) == (True, None)


def test_without_a_send_time_timing_does_not_decide() -> None:
    assert _classify(seconds=None) == (True, None)


@pytest.mark.parametrize("user_agent", [None, "", "   "])
def test_a_request_without_a_user_agent_is_no_browser(user_agent: str | None) -> None:
    assert _classify(user_agent) == (False, "no_user_agent")


@pytest.mark.parametrize(
    "user_agent",
    [
        "Barracuda Sentinel (EE)",
        "Mozilla/5.0 (compatible; Mimecast URL Protect)",
        "Mozilla/5.0 Proofpoint URL Defense",
        "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "BingPreview/1.0b",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    ],
)
def test_security_gateways_and_previewers_are_link_scanners(user_agent: str) -> None:
    assert _classify(user_agent) == (False, "link_scanner")
    assert _classify(user_agent, kind=TrackKind.OPEN) == (False, "link_scanner")


@pytest.mark.parametrize(
    "user_agent",
    [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "python-requests/2.31.0",
        "curl/8.4.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1",
    ],
)
def test_bots_and_scripts_are_not_people(user_agent: str) -> None:
    assert _classify(user_agent) == (False, "bot")


def test_the_gmail_image_proxy_is_a_reader_opening_but_never_a_reader_clicking() -> None:
    assert _classify(GMAIL_PROXY, kind=TrackKind.OPEN) == (True, None)
    assert _classify(GMAIL_PROXY, kind=TrackKind.CLICK) == (False, "image_proxy")


def test_a_phone_brand_ending_in_bot_is_still_a_person() -> None:
    cubot = "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 Chrome/88 Mobile"
    assert _classify(cubot) == (True, None)
