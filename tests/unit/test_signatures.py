"""Each platform's webhook signature: made the platform's way, checked on the raw body."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import pytest

from shopcore.enums import Platform
from shopcore.intake.signatures import (
    BadSignature,
    header,
    sign_generic,
    sign_shopify,
    sign_woocommerce,
    verify_generic,
    verify_shopify,
    verify_signature,
    verify_woocommerce,
)

SECRET = "hush"
BODY = b'{"id": 820982911946154508, "total_price": "404.95"}'
NOW = 1_767_225_600
Verify = Callable[[bytes, str | None, str], None]


def test_shopify_signs_the_base64_hmac_sha256_of_the_raw_body() -> None:
    expected = base64.b64encode(hmac.new(b"hush", BODY, hashlib.sha256).digest()).decode()
    assert sign_shopify(BODY, SECRET) == expected
    verify_shopify(BODY, expected, SECRET)


def test_woocommerce_signs_the_same_way_under_its_own_header() -> None:
    signature = sign_woocommerce(BODY, SECRET)
    verify_woocommerce(BODY, signature, SECRET)
    verify_signature(
        Platform.WOOCOMMERCE, BODY, {"X-WC-Webhook-Signature": signature}, SECRET, now=NOW
    )


def test_signatures_match_ones_computed_independently_with_openssl() -> None:
    # printf '%s' "$BODY" | openssl dgst -sha256 -hmac secret -binary | base64
    body = b'{"hello":"world"}'
    assert sign_shopify(body, "secret") == "JnetPnwJCy+iwPsTAg1m1UIIebgxbrNWotYPuQc7x3g="
    # printf '%s' "1767225600.$BODY" | openssl dgst -sha256 -hmac secret
    digest = "5571f0aa5cac4e7caf89d440375eaa455c1c200935303503895beb0e5ec04d1d"
    assert sign_generic(body, "secret", timestamp=NOW) == f"t={NOW},v1={digest}"


@pytest.mark.parametrize("verify", [verify_shopify, verify_woocommerce])
def test_a_tampered_body_fails(verify: Verify) -> None:
    signature = sign_shopify(BODY, SECRET)
    with pytest.raises(BadSignature, match="does not match"):
        verify(BODY.replace(b"404.95", b"0.01"), signature, SECRET)


@pytest.mark.parametrize("verify", [verify_shopify, verify_woocommerce])
def test_the_wrong_secret_fails(verify: Verify) -> None:
    with pytest.raises(BadSignature):
        verify(BODY, sign_shopify(BODY, "other"), SECRET)


@pytest.mark.parametrize("signature", [None, ""])
def test_a_missing_signature_fails(signature: str | None) -> None:
    with pytest.raises(BadSignature, match="missing"):
        verify_shopify(BODY, signature, SECRET)


def test_a_signature_that_is_not_ascii_fails_rather_than_crashing() -> None:
    with pytest.raises(BadSignature):
        verify_shopify(BODY, "ünïcode", SECRET)


def test_generic_signs_the_timestamp_and_the_body_in_hex() -> None:
    signed = f"{NOW}.".encode() + BODY
    digest = hmac.new(b"hush", signed, hashlib.sha256).hexdigest()
    assert sign_generic(BODY, SECRET, timestamp=NOW) == f"t={NOW},v1={digest}"
    verify_generic(BODY, f"t={NOW},v1={digest}", SECRET, now=NOW)


def test_generic_accepts_a_signature_within_five_minutes_either_way() -> None:
    verify_generic(BODY, sign_generic(BODY, SECRET, timestamp=NOW - 300), SECRET, now=NOW)
    verify_generic(BODY, sign_generic(BODY, SECRET, timestamp=NOW + 300), SECRET, now=NOW)


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_generic_refuses_a_stale_or_future_timestamp(age: int) -> None:
    signature = sign_generic(BODY, SECRET, timestamp=NOW - age)
    with pytest.raises(BadSignature, match="timestamp"):
        verify_generic(BODY, signature, SECRET, now=NOW)


def test_generic_refuses_a_valid_digest_moved_to_another_timestamp() -> None:
    digest = sign_generic(BODY, SECRET, timestamp=NOW - 1000).split("v1=")[1]
    with pytest.raises(BadSignature, match="does not match"):
        verify_generic(BODY, f"t={NOW},v1={digest}", SECRET, now=NOW)


def test_generic_accepts_any_of_several_v1_values_while_a_secret_rotates() -> None:
    old = sign_generic(BODY, "old", timestamp=NOW).split("v1=")[1]
    new = sign_generic(BODY, SECRET, timestamp=NOW).split("v1=")[1]
    verify_generic(BODY, f"t={NOW},v1={old},v1={new}", SECRET, now=NOW)


@pytest.mark.parametrize(
    "signature", ["", "v1=abc", f"t={NOW}", "t=soon,v1=abc", "garbage", f"t=-{NOW},v1=ab"]
)
def test_generic_refuses_malformed_headers(signature: str) -> None:
    with pytest.raises(BadSignature):
        verify_generic(BODY, signature, SECRET, now=NOW)


def test_verify_signature_finds_the_header_whatever_its_case() -> None:
    headers = {"x-shopify-hmac-sha256": sign_shopify(BODY, SECRET)}
    assert header(headers, "X-Shopify-Hmac-Sha256") == headers["x-shopify-hmac-sha256"]
    verify_signature(Platform.SHOPIFY, BODY, headers, SECRET, now=NOW)


def test_verify_signature_refuses_sources_without_a_secret_or_webhooks() -> None:
    headers = {"X-Shopify-Hmac-Sha256": sign_shopify(BODY, SECRET)}
    with pytest.raises(BadSignature, match="no signing secret"):
        verify_signature(Platform.SHOPIFY, BODY, headers, None, now=NOW)
    with pytest.raises(BadSignature, match="does not take webhooks"):
        verify_signature(Platform.API, BODY, headers, SECRET, now=NOW)
