"""Jobs of the inventory side: publishing availability to the storefront's webhook."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from rq import Queue, get_current_job

from config.settings import load_settings
from inventory.levels import available_by_sku
from shopcore.db import session_scope, utcnow

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
# Seconds before each retry of a failed publication; after the last one the job fails.
RETRY_DELAYS = (10, 60, 300)
USER_AGENT = "Shopcore stock publisher"


class DeliveryFailed(Exception):
    """The receiver did not answer with a 2xx in time."""


def publish_availability(skus: list[str], attempt: int = 0) -> None:
    """POST the SKUs' current total availability to ``SHOPCORE_STOCK_WEBHOOK_URL``, signed.

    Without a URL this does nothing. A failed POST is retried later through RQ's scheduler
    (``RETRY_DELAYS``); in-process (no Redis) it is logged and dropped, the next change of
    the SKU publishing its figure again.
    """
    settings = load_settings()
    if not settings.stock_webhook_url or not skus:
        return
    with session_scope() as session:
        available = available_by_sku(session, skus)
    body = json.dumps(
        {
            "type": "stock.available",
            "items": [{"sku": sku, "available": n} for sku, n in available.items()],
            "sent_at": utcnow().isoformat().replace("+00:00", "Z"),
        },
        separators=(",", ":"),
    ).encode()
    try:
        deliver(settings.stock_webhook_url, body, secret=settings.stock_webhook_secret)
    except DeliveryFailed as e:
        if attempt >= len(RETRY_DELAYS) or not _retry_later(skus, attempt):
            raise
        log.warning("stock publication failed (%s); retrying in %ss", e, RETRY_DELAYS[attempt])


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Shopcore-Signature`` value: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(url: str, body: bytes, *, secret: str) -> None:
    """POST ``body`` as signed JSON; raise DeliveryFailed unless the answer is a 2xx."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Shopcore-Signature": signature(secret, body, int(time.time())),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as e:
        raise DeliveryFailed(f"{url} answered {e.code}") from e
    except (OSError, http.client.HTTPException) as e:
        raise DeliveryFailed(f"{url}: {e}") from e
    if not 200 <= status < 300:
        raise DeliveryFailed(f"{url} answered {status}")


def _retry_later(skus: list[str], attempt: int) -> bool:
    """Schedule the next attempt on the queue this job came from; False outside RQ."""
    job = get_current_job()
    if job is None:
        return False
    queue = Queue(job.origin, connection=job.connection)
    queue.enqueue_in(
        timedelta(seconds=RETRY_DELAYS[attempt]),
        "inventory.jobs.publish_availability",
        skus,
        attempt=attempt + 1,
    )
    return True
