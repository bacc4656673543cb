"""A delivery's topic, its identity, and what it says, by platform; pure.

``read_delivery`` turns a verified body into a ``Payload``; ``delivery_topic`` and
``delivery_key`` say what a delivery is about and what makes a second copy of it
recognisable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from shopcore.enums import Platform
from shopcore.intake import shopify, woocommerce
from shopcore.intake.generic import read_generic, topic_of
from shopcore.intake.payloads import Ignored, Payload, UnreadableBody, read_json
from shopcore.intake.shopify import read_shopify
from shopcore.intake.signatures import header
from shopcore.intake.woocommerce import read_woocommerce

TOPIC_HEADERS = {Platform.SHOPIFY: "X-Shopify-Topic", Platform.WOOCOMMERCE: "X-WC-Webhook-Topic"}
ID_HEADERS = {
    Platform.SHOPIFY: "X-Shopify-Webhook-Id",
    Platform.WOOCOMMERCE: "X-WC-Webhook-Delivery-ID",
}
MAX_TOPIC = 64
MAX_KEY = 128
_PING = re.compile(rb"webhook_id=[0-9]{1,20}")


def is_ping(platform: Platform, body: bytes) -> bool:
    """WooCommerce's unsigned ``webhook_id=N`` ping, sent once when a webhook is set up."""
    return platform == Platform.WOOCOMMERCE and _PING.fullmatch(body.strip()) is not None


def delivery_topic(platform: Platform, headers: Mapping[str, str], body: bytes) -> str:
    """The delivery's topic: the platform's topic header, or the generic body's ``type``."""
    if platform in TOPIC_HEADERS:
        topic = (header(headers, TOPIC_HEADERS[platform]) or "").strip()
    else:
        try:
            topic = topic_of(read_json(body))
        except UnreadableBody:
            topic = "unknown"
    return topic[:MAX_TOPIC]


def delivery_key(platform: Platform, headers: Mapping[str, str], body: bytes) -> str:
    """What identifies this delivery among the source's others.

    Shopify's webhook id names one delivery and its retries. WooCommerce's delivery id is a
    hash of the webhook id and the current second, so two events in one second share it:
    the body's hash is added to tell them apart. The generic format has no id: the body's
    hash is the key, which its signed timestamp does not enter.
    """
    digest = hashlib.sha256(body).hexdigest()
    given = (header(headers, ID_HEADERS[platform]) or "").strip() if platform in ID_HEADERS else ""
    if not given:
        return digest
    if platform == Platform.WOOCOMMERCE:
        given = f"{given}:{digest[:32]}"
    if len(given) > MAX_KEY:
        return hashlib.sha256(given.encode("utf-8")).hexdigest()
    return given


def read_delivery(platform: Platform, topic: str, body: bytes) -> Payload:
    """What a verified delivery says; UnreadableBody or InvalidOrder when it cannot be read.

    Topics Shopcore does not use are ignored before their body is read, so a store may
    send any topic it likes.
    """
    if platform == Platform.SHOPIFY:
        if topic not in shopify.TOPICS:
            return Ignored(f"Shopcore does not use the Shopify topic {topic!r}")
        return read_shopify(topic, read_json(body))
    if platform == Platform.WOOCOMMERCE:
        if topic not in woocommerce.TOPICS:
            return Ignored(f"Shopcore does not use the WooCommerce topic {topic!r}")
        return read_woocommerce(topic, read_json(body))
    if platform == Platform.GENERIC:
        return read_generic(read_json(body))
    return Ignored(f"a {platform.value} source does not take webhooks")
