"""Test data with random references, so tests never step on each other's rows."""

from __future__ import annotations

import uuid


def random_ref(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def random_sku() -> str:
    return random_ref("SKU-").upper()


def random_email() -> str:
    return f"{random_ref('c-')}@example.com"
