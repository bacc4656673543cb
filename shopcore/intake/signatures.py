"""Webhook signatures: each platform's scheme, checked on the raw body and produced for tests.

Shopify and WooCommerce both send the base64 HMAC-SHA256 of the raw body, keyed with the
webhook secret. The generic format signs ``"<t>.<raw body>"`` with the unix time ``t`` and
sends ``t=<t>,v1=<hex>``, so a captured request cannot be replayed after the tolerance.
Every comparison is constant-time. Pure: no I/O, no clock (callers pass ``now``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from shopcore.enums import Platform

SHOPIFY_HEADER = "X-Shopify-Hmac-Sha256"
WOOCOMMERCE_HEADER = "X-WC-Webhook-Signature"
GENERIC_HEADER = "X-Shopcore-Signature"
HEADERS = {
    Platform.SHOPIFY: SHOPIFY_HEADER,
    Platform.WOOCOMMERCE: WOOCOMMERCE_HEADER,
    Platform.GENERIC: GENERIC_HEADER,
}
TOLERANCE_SECONDS = 300


class BadSignature(ValueError):
    """The request is not signed with the source's secret (missing, wrong or too old)."""


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value whatever the case of its name (HTTP/2 sends them lower-cased)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _digest(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def _same(expected: str, given: str) -> bool:
    # compare_digest takes str only when ASCII; a client may send anything.
    return hmac.compare_digest(expected.encode("ascii"), given.strip().encode("utf-8"))


def sign_shopify(body: bytes, secret: str) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value Shopify sends with ``body``."""
    return base64.b64encode(_digest(secret, body)).decode("ascii")


def sign_woocommerce(body: bytes, secret: str) -> str:
    """The ``X-WC-Webhook-Signature`` value WooCommerce sends with ``body``."""
    return base64.b64encode(_digest(secret, body)).decode("ascii")


def sign_generic(body: bytes, secret: str, *, timestamp: int) -> str:
    """The ``X-Shopcore-Signature`` value for ``body`` signed at unix time ``timestamp``."""
    signed = f"{timestamp}.".encode("ascii") + body
    return f"t={timestamp},v1={_digest(secret, signed).hex()}"


def verify_shopify(body: bytes, signature: str | None, secret: str) -> None:
    """Raise BadSignature unless ``signature`` is Shopify's for ``body``."""
    _check_base64(SHOPIFY_HEADER, sign_shopify(body, secret), signature)


def verify_woocommerce(body: bytes, signature: str | None, secret: str) -> None:
    """Raise BadSignature unless ``signature`` is WooCommerce's for ``body``."""
    _check_base64(WOOCOMMERCE_HEADER, sign_woocommerce(body, secret), signature)


def _check_base64(header: str, expected: str, signature: str | None) -> None:
    if not signature:
        raise BadSignature(f"the {header} header is missing")
    if not _same(expected, signature):
        raise BadSignature(f"the {header} header does not match the body")


def verify_generic(
    body: bytes,
    signature: str | None,
    secret: str,
    *,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise BadSignature unless ``signature`` signs ``body`` within ``tolerance`` of ``now``."""
    if not signature:
        raise BadSignature(f"the {GENERIC_HEADER} header is missing")
    timestamp, candidates = _parse_generic(signature)
    if abs(now - timestamp) > tolerance:
        raise BadSignature(
            f"the {GENERIC_HEADER} timestamp is more than {tolerance} s from the server's clock"
        )
    expected = sign_generic(body, secret, timestamp=timestamp).split("v1=", 1)[1]
    # Several v1 values let a sender sign with the old and the new secret while rotating.
    if not any(_same(expected, candidate) for candidate in candidates):
        raise BadSignature(f"the {GENERIC_HEADER} header does not match the body")


def _parse_generic(signature: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise BadSignature(f"the {GENERIC_HEADER} header must look like t=<unix time>,v1=<hex>")
    return timestamp, candidates


def verify_signature(
    platform: Platform,
    body: bytes,
    headers: Mapping[str, str],
    secret: str | None,
    *,
    now: float,
) -> None:
    """Check a delivery's signature the way its platform signs; raise BadSignature if not."""
    if platform not in HEADERS:
        raise BadSignature(f"a {platform.value} source does not take webhooks")
    if not secret:
        raise BadSignature("the source has no signing secret")
    signature = header(headers, HEADERS[platform])
    if platform == Platform.SHOPIFY:
        verify_shopify(body, signature, secret)
    elif platform == Platform.WOOCOMMERCE:
        verify_woocommerce(body, signature, secret)
    else:
        verify_generic(body, signature, secret, now=now)
