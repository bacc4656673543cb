"""The small fixed vocabularies of the order side, as ``str`` enums."""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import Any

from sqlalchemy import Enum as SAEnum


class Channel(StrEnum):
    ONLINE = "online"
    RETAIL = "retail"
    WHOLESALE = "wholesale"


class Platform(StrEnum):
    """Where a source's orders come from: a webhook platform, the API or a CSV file."""

    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    GENERIC = "generic"
    API = "api"
    CSV = "csv"


WEBHOOK_PLATFORMS = (Platform.SHOPIFY, Platform.WOOCOMMERCE, Platform.GENERIC)


class OrderStatus(StrEnum):
    PENDING = "pending"
    ALLOCATED = "allocated"
    AWAITING_STOCK = "awaiting_stock"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class LineStatus(StrEnum):
    HISTORY = "history"
    ALLOCATED = "allocated"
    AWAITING_STOCK = "awaiting_stock"
    UNKNOWN_SKU = "unknown_sku"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class CartStatus(StrEnum):
    OPEN = "open"
    ORDERED = "ordered"
    EMPTIED = "emptied"


class DeliveryStatus(StrEnum):
    ACCEPTED = "accepted"
    IGNORED = "ignored"
    REJECTED = "rejected"


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    EXTERNAL = "external"


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    VIEWER = "viewer"


def enum_column(enum: type[Enum], length: int = 20) -> SAEnum:
    """Store an enum by its value as a plain string, the same on SQLite and PostgreSQL."""

    def values(members: Any) -> list[str]:
        return [m.value for m in members]

    return SAEnum(enum, native_enum=False, length=length, values_callable=values)
